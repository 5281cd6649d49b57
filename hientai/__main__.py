from hientai.cli import main

main()
