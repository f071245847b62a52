"""Ripple's entry point: `app` for WSGI servers and the flask CLI; `python app.py` runs a dev server."""
from backend import create_app

app = create_app()

if __name__ == "__main__":
    import os
    socketio = app.extensions["socketio"]
    socketio.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", 5000)),
                 allow_unsafe_werkzeug=True)
