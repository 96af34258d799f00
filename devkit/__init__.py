"""What the tests, the benchmark and the demo share: the compiled guard on an in-process chain
(`guard_chain`), the search for its worst-case inputs (`worst_case`) and the Python ports of
FastAuth's contracts the guard is called by (`ports`)."""
