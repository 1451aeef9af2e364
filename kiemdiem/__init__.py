"""kiemdiem: the command line, the demo, and the Prefect environment they share."""
