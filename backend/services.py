"""Build the clients a process needs, once, from a Config. Nothing here runs at import time."""
from dataclasses import dataclass

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from backend.config import Config
from backend.write.handlers import Rules
from backend.read.projections import Caps
from backend.read.projector import Projector
from backend.write.models import make_engine, make_session_factory


@dataclass
class Services:
    config: Config
    engine: object
    session_factory: object
    redis: redis.Redis          # read models (str responses)
    rq_redis: redis.Redis       # the RQ queue (bytes responses, as RQ needs)
    queue: Queue
    projector: Projector
    rules: Rules


def build_services(config: Config) -> Services:
    engine = make_engine(config.database_url)
    session_factory = make_session_factory(engine)
    r = redis.Redis.from_url(config.redis_url, decode_responses=True, health_check_interval=30)
    rq_redis = redis.Redis.from_url(config.redis_url, health_check_interval=30)
    queue = Queue(config.queue_name, connection=rq_redis, serializer=JSONSerializer,
                  default_timeout=config.job_timeout_s)
    projector = Projector(r, session_factory, Caps(timeline=config.timeline_cap, feed=config.feed_cap))
    return Services(config, engine, session_factory, r, rq_redis, queue, projector,
                    Rules(duplicate_window_s=config.duplicate_window_s))
