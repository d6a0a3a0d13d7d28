# Two commands for a newcomer:
#   make run    set everything up, create data/archive.sqlite3, and run the archive
#   make test   set everything up, lint and type-check, and run the whole test suite (SQLite + PostgreSQL)
.PHONY: run test lint demo bootstrap migrate

VENV := .venv/bin

bootstrap:
	scripts/bootstrap

migrate: bootstrap
	$(VENV)/portal-archive migrate

run: migrate
	$(VENV)/portal-archive run

demo: bootstrap
	$(VENV)/portal-archive demo

# ruff (pyflakes, pycodestyle, imports, bugbear, pyupgrade) and strict mypy on archive/, crawler/, spiders/
lint: bootstrap
	$(VENV)/ruff check .
	$(VENV)/mypy

test: lint
	$(VENV)/python -m pytest -n 2
