"""The benchmark harness (issue 9): named scenarios run in interleaved rounds over several
databases (one worker process per database), and the incident list served by gunicorn beside
a floor (bench/floor.py) under a bounded load. `bench/run.py` is the one command; results are
recorded in bench/RESULTS.md."""
