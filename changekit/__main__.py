from changekit.cli import main

main()
