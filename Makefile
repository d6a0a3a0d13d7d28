# Two commands for a newcomer:
#   make run    set everything up, create data/archive.sqlite3, and run the archive
#   make test   set everything up and run the whole test suite (SQLite + PostgreSQL)
.PHONY: run test demo bootstrap migrate

VENV := .venv/bin

bootstrap:
	scripts/bootstrap

migrate: bootstrap
	$(VENV)/portal-archive migrate

run: migrate
	$(VENV)/portal-archive run

demo: bootstrap
	$(VENV)/portal-archive demo

test: bootstrap
	$(VENV)/python -m pytest -n 2
