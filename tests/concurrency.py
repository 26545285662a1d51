"""Run a callable in several threads at once, as concurrent requests would."""

import threading

from django.db import connection


def in_threads(target, count: int = 2, *, close: bool = True) -> list:
    """Start `count` threads together; return each result, or the exception it raised.

    `close=False` leaves each thread's database connection as a threaded server's would.
    """
    barrier = threading.Barrier(count)
    results: list = []

    def run():
        barrier.wait()
        try:
            results.append(target())
        except Exception as exc:  # what each loser gets is what the tests check
            results.append(exc)
        finally:
            if close:
                connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
