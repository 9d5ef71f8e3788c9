"""Build the example network, run it as a BMTK PopNet script would (through
``cantata.compat.popnet``), print the mean rates and plot them to ``output/rates.png``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from build_network import HERE, build

from cantata.compat import popnet


def main(here: Path = HERE) -> None:
    build(here)
    configure = popnet.config.from_json(str(here / "config.json"))
    configure.build_env()
    network = popnet.PopNetwork.from_config(configure)
    sim = popnet.PopSimulator.from_config(configure, network)
    sim.run()

    table = np.loadtxt(sim.rates_file)          # node_type_id, time (s), rate (Hz); no header
    names = {key: name for key, name in zip(sim.populations, ("exc", "inh"))}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for key, name in names.items():
        rows = table[table[:, 0] == key]
        before = rows[(rows[:, 1] > 0.15) & (rows[:, 1] <= 0.25), 2].mean()
        after = rows[rows[:, 1] > 0.4, 2].mean()
        print(f"{name} (node_type_id {key}): {before:.2f} Hz before the step, {after:.2f} Hz after")
        ax.plot(rows[:, 1] * 1000.0, rows[:, 2], label=name)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("population rate (Hz)")
    ax.legend()
    png = here / "output" / "rates.png"
    fig.savefig(png, dpi=100, bbox_inches="tight")
    print(f"rates: {sim.rates_file}\nplot: {png}")


if __name__ == "__main__":
    main()
