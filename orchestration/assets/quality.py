"""What the quality checks share: how a share is shown in the UI."""


def percent(share: float) -> str:
    """A share as people read it: 0.0123 → "1.23 %" (the UI shows a float as a bare number)."""
    return f"{share * 100:.2f} %"
