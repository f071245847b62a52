"""The values of a Fold (backend/read/fold.py) as Redis holds them: strings, and sorted sets."""
import heapq


class WrongType(TypeError):
    pass


def enc(value) -> str:
    """What redis-py sends for a value (and what Redis then holds): str, int/float via repr."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int or kind is float:
        return repr(value)
    if kind is bytes:
        return value.decode()
    raise TypeError(f"cannot store {value!r} in Redis")


class ZSet:
    """member -> score, ordered by (score, member) as Redis orders them (UTF-8 order is code-point
    order). A heap of (score, member), built when first needed, makes trimming the lowest cheap:
    it may hold stale pairs (removed or re-scored members), skipped when popped."""
    __slots__ = ("d", "heap")

    def __init__(self):
        self.d, self.heap = {}, None

    def add(self, member: str, score: float) -> None:
        self.d[member] = score
        if self.heap is not None:
            heapq.heappush(self.heap, (score, member))

    def ordered(self) -> list:
        """[(member, score)] in Redis's order."""
        return [(m, s) for s, m in sorted([(s, m) for m, s in self.d.items()])]

    def pop_lowest(self, n: int) -> int:
        if self.heap is None:
            self.heap = [(s, m) for m, s in self.d.items()]
            heapq.heapify(self.heap)
        heap, d, done = self.heap, self.d, 0
        while done < n:
            score, member = heapq.heappop(heap)
            if d.get(member) == score:
                del d[member]
                done += 1
        if len(heap) > 4 * len(d) + 64:  # too many stale pairs: start afresh
            self.heap = None
        return done


def ranks(n: int, start: int, stop: int) -> tuple[int, int]:
    """Redis rank range (inclusive, negative from the end) -> Python slice bounds."""
    start, stop = (start + n if start < 0 else start), (stop + n if stop < 0 else stop)
    return max(start, 0), max(min(stop, n - 1) + 1, 0)
