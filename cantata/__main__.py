from cantata.cli import main

raise SystemExit(main())
