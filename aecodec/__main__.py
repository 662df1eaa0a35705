from aecodec.cli import main

raise SystemExit(main())
