"""What the framework adapters (herald.otel, herald.openai_agents) share: the emitter they emit
through, and how they flush or shut it down when their framework says so."""

from __future__ import annotations

from typing import Optional, Union

from .emitter import BoundEmitter, Emitter


class EmitterAdapter:
    """Holds the emitter (or bound view) an adapter emits through.

    Args:
        emitter: the :class:`herald.Emitter` (or bound view) to emit through.
        project: the project of the events, over the emitter's default.
        shutdown_emitter: whether the framework's ``shutdown()`` shuts the emitter down (default:
            it only flushes, since the emitter may be shared).
    """

    def __init__(self, emitter: Union[Emitter, BoundEmitter], *, project: Optional[str] = None, shutdown_emitter: bool = False) -> None:
        self.emitter = emitter
        self.project = project
        self.shutdown_emitter = shutdown_emitter

    @property
    def _target(self) -> Emitter:
        return self.emitter.emitter if isinstance(self.emitter, BoundEmitter) else self.emitter

    def shutdown(self) -> None:
        """Flushes the emitter (up to its ``shutdown_timeout``), or shuts it down if asked to."""
        if self.shutdown_emitter:
            self._target.shutdown()
        else:
            self._target.flush(self._target.shutdown_timeout)

    def _flush(self, timeout: Optional[float] = None) -> bool:
        return self._target.flush(self._target.shutdown_timeout if timeout is None else timeout)
