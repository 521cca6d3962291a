"""`safe_torch_load`: read a torch file (checkpoint, weights, graph cache) without ever running code from it."""

from __future__ import annotations

import lzma
import pickle

import torch

from pgnn.errors import PgnnError


class UnsafeFileError(PgnnError):
    """A file refused because loading it could run code (it pickles objects other than tensors and plain data)."""


def safe_torch_load(source, name: str, allowed: list | None = None):
    """`torch.load(source, weights_only=True)`: tensors, plain containers (dict, list, tuple), str, numbers only.

    source: a path or a binary file object; name: how the file is named in the error; allowed: extra classes
    (plain-data classes only) that the file may hold, for this call only. A file holding anything else (a
    pickled object whose unpickling would import a module or call a function) raises UnsafeFileError naming `name`
    before anything in it is run; so does a damaged file."""
    try:
        if allowed:
            with torch.serialization.safe_globals(list(allowed)):
                return torch.load(source, map_location="cpu", weights_only=True)
        return torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc).strip()
        detail = next((ln.strip() for ln in text.splitlines() if "GLOBAL" in ln or "Unsupported" in ln),
                      text.splitlines()[0] if text else "unpickling error")[:200]
        raise UnsafeFileError(f"{name}: refused to load: it holds more than tensors and plain data ({detail})") from None
    except (RuntimeError, EOFError, ValueError, OSError, lzma.LZMAError, AttributeError, KeyError) as exc:
        raise PgnnError(f"{name}: unreadable ({type(exc).__name__}: {str(exc).strip()[:160]})") from None
