"""Band-structure plot: predicted bands along the standard k-path, optionally over a reference engine's bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def band_plot(pred: dict, path, title: str = "", reference: dict | None = None, window_eV=(-6.0, 6.0),
              ref_label: str = "reference") -> None:
    """Write a PNG of `pred` (and `reference`), dicts of `hamiltonian_predictor.band_structure`, energies relative
    to each one's valence-band maximum when known (a periodic engine has no absolute energy reference)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pgnn.atomic import atomic_open

    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=120)
    for bands, style, label in ((reference, dict(color="0.55", lw=2.2), ref_label),
                                (pred, dict(color="tab:red", lw=1.0, ls="--"), "model")):
        if bands is None:
            continue
        zero = bands["vbm_eV"] if bands.get("vbm_eV") is not None else 0.0
        e = np.asarray(bands["energies_eV"]) - zero
        for n in range(e.shape[1]):
            ax.plot(bands["x"], e[:, n], label=label if n == 0 else None, **style)
    ticks = pred["ticks"]
    for x, _ in ticks:
        ax.axvline(x, color="0.85", lw=0.6, zorder=0)
    ax.set_xticks([x for x, _ in ticks], [("$\\Gamma$" if lab in ("GAMMA", "G") else lab) for _, lab in ticks])
    ax.set_xlim(pred["x"][0], pred["x"][-1])
    ax.set_ylim(*window_eV)
    ax.set_ylabel("E - E_VBM (eV)" if pred.get("vbm_eV") is not None else "E (eV)")
    gap = f"model gap {pred['gap_eV']:.2f} eV" if pred.get("gap_eV") is not None else ""
    if reference is not None and reference.get("gap_eV") is not None:
        gap += f", {ref_label} {reference['gap_eV']:.2f} eV"
    ax.set_title(f"{title}  {gap}".strip(), fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(Path(path), "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
