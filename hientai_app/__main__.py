from hientai_app.cli import main

main()
