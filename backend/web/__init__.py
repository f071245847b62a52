"""HTTP and sockets: blueprints, errors, Origin check, rate limits, realtime, health, spec."""
