"""The RQ worker side of Ripple: `python -m worker` runs it; jobs.py holds the job function."""
