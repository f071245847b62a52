"""Read ahead: the next batches of events are fetched (and decoded) in a thread while the current
one is applied, so the database's own work on the next query overlaps the fold."""
import queue
import threading

_END = object()


def prefetched(batches, depth: int = 2):
    """Yield the items of the iterable `batches`, produced by a thread at most `depth` ahead; an
    error in the producer is raised here; closing this generator stops the producer."""
    items, stop = queue.Queue(depth), threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(_END)
        except BaseException as e:  # noqa: BLE001 -- handed to the consumer, raised there
            put(e)

    thread = threading.Thread(target=produce, name="replay-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
