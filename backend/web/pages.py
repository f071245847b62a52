"""Blueprint: the HTML pages. Each renders one shell with its initial state from the read models
(as inert JSON); the ES modules in static/js render it and keep it live. No SQL here."""

from flask import Blueprint, abort, render_template, send_from_directory

from backend.config import ROOT
from backend.read import queries
from backend.read.system import banner_of, demo_state
from backend.web.as_of import as_of_arg, past
from backend.web.http import current_user, paged, read_side, services
from backend.web.login import is_guest

bp = Blueprint("pages", __name__)
VENDOR = ROOT / "node_modules"
VENDOR_FILES = {"socket.io.esm.min.js": "socket.io-client/dist"}


def _page(page: str, title: str, data: dict | None = None):
    state = {"page": page, "me": current_user(), "data": data or {}} | _demo_fields()
    return render_template("page.html", page=page, title=title, state=state, me=current_user())


def _demo_fields() -> dict:
    """Demo mode, guest or not, and the banner every page shows while a demo control is active."""
    svc = services()
    if not svc.config.demo:
        return {"demo": False, "guest": False, "banner": None, "crowd_default": False}
    try:
        banner = banner_of(demo_state(svc.redis, svc.config), svc.config)
    except Exception:  # noqa: BLE001 -- Redis away: the page still renders, without a banner
        banner = None
    return {"demo": True, "guest": is_guest(), "banner": banner,
            "crowd_default": bool(svc.config.crowd)}


@bp.get("/")
def home():
    me = current_user()
    if not me:
        return _page("landing", "Welcome")
    if (seq := as_of_arg()) is not None:
        return _page("home", "Home", past("feed", seq, me, viewer=me))
    data = paged(queries.feed, me)
    if not data["posts"]:
        data["suggestions"] = queries.suggestions(read_side(), me)
    return _page("home", "Home", data)


@bp.get("/explore")
def explore():
    if (seq := as_of_arg()) is not None:
        me = current_user()
        return _page("explore", "Explore", past("timeline", seq, viewer=me))
    return _page("explore", "Explore", paged(queries.timeline, 20, None, current_user()))


@bp.get("/users/<handle>")
def profile(handle):
    if (seq := as_of_arg()) is not None:
        me = current_user()
        data = past("profile", seq, handle.lower(), viewer=me)
    else:
        data = queries.profile(read_side(), handle.lower(), current_user())
    return _page("profile", f"@{data['user']['handle']}", data)


@bp.get("/users/<handle>/<any(followers, following):which>")
def follows(handle, which):
    data = queries.follow_list(read_side(), handle.lower(), which)
    data["i_follow"] = queries.followed_among(read_side(), current_user(), data[which])
    return _page("follows", f"@{data['handle']} · {which}", data | {"which": which})


@bp.get("/posts/<int:post_id>")
def post(post_id):
    if (seq := as_of_arg()) is not None:
        me = current_user()
        return _page("post", "Post", past("post", seq, post_id, viewer=me))
    return _page("post", "Post", queries.post_detail(read_side(), post_id, current_user()))


@bp.get("/login")
def login():
    return _page("login", "Log in")


@bp.get("/signup")
def signup():
    return _page("signup", "Sign up")


@bp.get("/vendor/<name>")
def vendor(name):
    """Front-end libraries installed from the npm registry (package-lock.json), served as files."""
    if name not in VENDOR_FILES:
        abort(404)
    return send_from_directory(VENDOR / VENDOR_FILES[name], name, max_age=3600)


def not_found_page(what: str):
    state = {"page": "notfound", "me": current_user(), "data": {"what": what}} | _demo_fields()
    return render_template("page.html", page="notfound", title="Not found", state=state,
                           me=current_user())
