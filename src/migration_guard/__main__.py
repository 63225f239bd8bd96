from migration_guard.cli import main

raise SystemExit(main())
