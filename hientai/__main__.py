from hientai.cli import app

app()
