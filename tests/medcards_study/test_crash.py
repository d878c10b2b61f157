"""Killing the process in the middle of a session loses no committed review."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from medcards.models import CardKind, CardRequest
from medcards.study import StudyEngine, integrity_errors

SESSION = textwrap.dedent(
    """
    import datetime as dt, sys
    from medcards.study import StudyEngine
    engine = StudyEngine(sys.argv[1])
    now = dt.datetime(2025, 1, 6, 8, tzinfo=dt.UTC)
    cards = [c for c in engine.cards() if c.kind.value == "mcq"]
    i = 0
    while True:
        card = cards[i % len(cards)]
        outcome = engine.update_progress(card, 3 + (i % 2), now + dt.timedelta(seconds=i))
        print(outcome.review_id, flush=True)
        i += 1
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_mid_session_keeps_committed_reviews(tmp_path, generator):
    path = tmp_path / "temario.db"
    with StudyEngine(path) as engine:
        for i in range(5):
            topic = engine.add_topic(f"Tema {i}", f"Contexto {i}. Más.")
            request = CardRequest(topic=topic.title, context=topic.context, kind=CardKind.MCQ)
            engine.add_card(topic, generator.generate(request))
    committed: list[int] = []
    for round_ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", SESSION, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert child.stdout is not None
        for _ in range(200 + 97 * round_):
            line = child.stdout.readline()
            assert line, "the study session died on its own"
            committed.append(int(line))
        child.send_signal(signal.SIGKILL)  # whatever it is writing now is cut short
        child.wait(timeout=30)
        child.stdout.close()
        with StudyEngine(path) as engine:
            assert integrity_errors(engine.conn) == []
            logged = {r["review_id"] for r in engine.review_log()}
            assert set(committed) <= logged
            # every logged review has its state: the transaction wrote both or neither
            reviewed = {r["card_id"] for r in engine.review_log()}
            assert all(engine.state(card_id) is not None for card_id in reviewed)
            later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
            engine.next_topic(later)
            outcome = engine.update_progress(engine.cards()[0], 3, later)
            assert outcome.review_id == max(logged) + 1
