"""Word-level diffs (backend/read/word_diff.py) and the tombstone rule (backend/read/time_travel.py)."""
from backend.read.time_travel import tombstone, with_tombstones
from backend.read.word_diff import new_text, old_text, word_diff


def test_an_inserted_and_a_deleted_word():
    diff = word_diff("the quick fox jumps", "the quick brown fox runs")
    assert diff == [{"op": "equal", "text": "the quick "}, {"op": "insert", "text": "brown "},
                    {"op": "equal", "text": "fox "}, {"op": "delete", "text": "jumps"},
                    {"op": "insert", "text": "runs"}]


def test_pieces_join_back_to_both_texts():
    for old, new in [("", "hello"), ("hello", ""), ("a b c", "a  b\nc d"), ("x", "x"),
                     ("<b>bold</b> & co", "<i>bold</i> & co")]:
        diff = word_diff(old, new)
        assert old_text(diff) == old and new_text(diff) == new
        assert all(p["text"] for p in diff)  # no empty pieces
        assert all(a["op"] != b["op"] for a, b in zip(diff, diff[1:]))  # runs merged


def test_unchanged_text_is_one_equal_piece():
    assert word_diff("same words", "same words") == [{"op": "equal", "text": "same words"}]


def test_markup_is_data_not_html():
    diff = word_diff("hi", "hi <script>x</script>")
    assert diff[-1] == {"op": "insert", "text": " <script>x</script>"}


POSTS = [{"id": 1, "author": "ann", "body": "a", "likes": 2}, {"id": 2, "author": "ben", "body": "b"},
         {"id": 3, "author": "cat", "body": "c"}]


def test_posts_deleted_since_are_tombstones_to_others():
    shown = with_tombstones(POSTS, {1, 2}, "cat")
    assert shown == [{"id": 1, "author": "ann", "deleted": True},
                     {"id": 2, "author": "ben", "deleted": True}, POSTS[2]]


def test_the_author_still_sees_their_deleted_post_as_it_was():
    shown = with_tombstones(POSTS, {1, 2}, "ann")
    assert shown[0] == POSTS[0] and shown[1] == tombstone(POSTS[1])


def test_a_guest_sees_tombstones_and_nothing_else_of_them():
    shown = with_tombstones(POSTS, {3}, None)
    assert shown[2] == {"id": 3, "author": "cat", "deleted": True}
    assert "body" not in shown[2] and shown[:2] == POSTS[:2]
