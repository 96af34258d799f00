"""Python contracts to NEAR Wasm: the build driver around nearc (`build`) and the NEP-330
source metadata it writes into a build (`source_metadata`). It serves `guardctl build`,
`make build`, the tests, the benchmark and the demo; `python -m nearwasm.build --help`."""
