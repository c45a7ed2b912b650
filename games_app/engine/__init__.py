"""Pure (Django-free) slot maths: definitions, evaluation, exact PAR sheets, simulation.

Public entry points (see docs/games.md):

* :class:`GameDefinition` / :class:`GameDefinitionError` / :func:`load_demo_games`
* :class:`SlotEngine`, :class:`LocalSlotEngine`, :class:`RemoteSlotEngine`, :class:`SpinOutcome`,
  :class:`LineWin`, :func:`spin_from_seed`, :class:`EngineError`
* :func:`compute_par_sheet`, :func:`format_par_sheet` (``games_app.engine.par_sheet``)
* :func:`simulate`, :func:`evaluate_stops`, :func:`window_indices` (``games_app.engine.simulator``)
"""
from .definition import GameDefinition, GameDefinitionError, load_definition, load_demo_games
from .evaluator import LineWin, SpinOutcome, evaluate_spin, evaluate_window
from .interface import EngineError, LocalSlotEngine, RemoteSlotEngine, SlotEngine, spin_from_seed

__all__ = [
    "EngineError",
    "GameDefinition",
    "GameDefinitionError",
    "LineWin",
    "LocalSlotEngine",
    "RemoteSlotEngine",
    "SlotEngine",
    "SpinOutcome",
    "evaluate_spin",
    "evaluate_window",
    "load_definition",
    "load_demo_games",
    "spin_from_seed",
]
