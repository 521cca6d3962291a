from pgnn.cli import main

main()
