from gouvernail.cli import main

main()
