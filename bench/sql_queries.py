"""The SQL baseline's statements: the same JSON as the read models, by the query anyone would
write (bench/sql_app.py serves them; bench/growth.py times them). No app, no I/O here."""
_COLUMNS = """p.id, u.handle AS author, p.body, p.created_at, p.edited_at,
  (SELECT count(*) FROM likes l WHERE l.post_id = p.id) AS likes,
  (SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS comments"""
_LIKED = ", EXISTS(SELECT 1 FROM likes lv WHERE lv.user_id = :vid AND lv.post_id = p.id) AS liked"
_FROM = " FROM posts p JOIN users u ON u.id = p.author_id WHERE p.deleted_at IS NULL"
_BEFORE = " AND p.id < :before"
_FEED = (" AND (p.author_id = :vid OR p.author_id IN "
         "(SELECT f.followee_id FROM follows f WHERE f.follower_id = :vid))")
# The other form anyone would write, "posts whose author is among the followees": PostgreSQL may then
# use an index on posts (author_id, id) (bench/world.py adds it for the growth benchmark). It leaves
# out the viewer's own posts, so it answers the same JSON only for viewers who post nothing (the growth
# benchmark's; checked equal there). `GET /bench/sql/feed?form=in`.
_FEED_IN = " AND p.author_id IN (SELECT f.followee_id FROM follows f WHERE f.follower_id = :vid)"
_ORDER = " ORDER BY p.id DESC LIMIT :lim"
WHERE = {"timeline": "", "feed": _FEED, "feed_in": _FEED_IN}
