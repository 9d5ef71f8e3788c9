"""`make demo`: build the example network, simulate it on NEST, write spikes and a raster plot."""

from __future__ import annotations

from pathlib import Path

from build_network import HERE, build

from cantata.analysis import plot_raster, population_rates
from cantata.sim import Simulation
from cantata.sonata.circuit import Circuit


def main(here: Path = HERE) -> None:
    build(here)
    config = here / "config.json"
    Simulation.from_config(config).run()
    png = here / "output" / "raster.png"
    with Circuit.from_config(config) as circuit:
        rates = population_rates(config, circuit=circuit, group_by="pop_name")
        print(rates[rates["population"] == "cortex"].to_string(index=False))
        plot_raster(config, png, color_by="pop_name", circuit=circuit,
                    title="Cantata demo: E/I network with thalamic Poisson input")
    print(f"spikes: {here / 'output' / 'spikes.h5'}\nraster: {png}")


if __name__ == "__main__":
    main()
