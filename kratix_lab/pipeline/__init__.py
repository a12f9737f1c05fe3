"""The Kratix pipeline contract and the runners that honour it (see ``runner.run_workflow``)."""
