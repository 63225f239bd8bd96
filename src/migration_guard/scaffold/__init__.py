"""What ``migration-guard init`` writes, rendered as text: the configuration, the CI
workflows and the runbook's wrapper scripts. Pure: no file is read or written here
(``scaffold.files`` writes them)."""
