"""The one root exception and its few subclasses; messages name the bad value and the fix."""


class BudgetQAError(Exception):
    """Root of every error budgetqa raises on purpose."""


class BadInputError(BudgetQAError):
    """A file that cannot be ingested: not a PDF, encrypted, damaged, empty, scanned."""

    def __init__(self, path: str, reason: str, code: str = "bad_input") -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.code = code

    def __reduce__(self):
        # Rebuilt from its three fields when it crosses a process boundary (--workers).
        return (type(self), (self.path, self.reason, self.code))


class StoreError(BudgetQAError):
    """The data folder cannot be read or written."""


class DataFileMissingError(BudgetQAError):
    """A data file that ships with the package is not there: the installation is broken."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: data file missing from the installed package; reinstall budgetqa (pip install .)")
        self.path = path
