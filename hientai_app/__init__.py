"""The application: the `hientai` command and the scheduler, the top floor of the house. It
calls the flows in `pipelines/` and the packages below them; nothing below imports it."""
