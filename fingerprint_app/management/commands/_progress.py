"""A progress bar for probing commands: tqdm when installed, else a plain text bar."""
import sys
import time

try:
    from tqdm import tqdm
except ImportError:  # tqdm is optional
    tqdm = None


class ProgressBar:
    def __init__(self, *, total: int, initial: int = 0, stream=None, label: str = "probe") -> None:
        self.total, self.done, self.label = total, initial, label
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self._bar = tqdm(total=total, initial=initial, unit="spin", unit_scale=True, desc=label,
                         file=self.stream) if tqdm is not None else None

    def update(self, done: int, status: str = "") -> None:
        if self._bar is not None:
            self._bar.update(done - self.done)
            if status:
                self._bar.set_postfix_str(status)
        else:
            width = 30
            filled = int(width * done / self.total) if self.total else width
            rate = done / max(time.perf_counter() - self.started, 1e-9)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} "
                              f"({rate:,.0f} spins/s) {status}   ")
            self.stream.flush()
        self.done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        else:
            self.stream.write("\n")
