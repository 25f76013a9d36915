# The kit's commands. Every target creates the pinned environment (.venv) on first use.
#   make test                 the kit's own test suite (what CI runs)
#   make grade                grade the bundled sample class of every assignment, print gradebooks
#   make grade ASSIGNMENT=mle SUBMISSIONS=path   grade any folder of submissions (one sub-folder each)
#   make check ASSIGNMENT=mle the public tests, as a student runs them, on assignments/<a>
#   make assignments          regenerate assignments/ (student stubs) from solutions/; refuses to
#                             overwrite a file changed by hand (FORCE=1 saves it under saved-work/ first)
#   make handout ASSIGNMENT=mle   build/handout/mle.zip, the self-contained student handout
#   make grader-lock          rewrite requirements-grader.lock (Gradescope's) from requirements.lock
#   make bench                benchmarks against scikit-learn / SciPy (prints Markdown tables)
#   make mnist                download the full MNIST (optional; checksums verified)
#   make nbgrader             build the nbgrader course (build/nbgrader): config, source/, release/
#   make points ASSIGNMENT=mle   the points table of an assignment (for its README)
#   make gradescope ASSIGNMENT=mle   build/gradescope-mle.zip, Gradescope's autograder upload

PYTHON_BOOT ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
ALL         := mle kde gmm bmm
GRADED       = $(notdir $(patsubst %/,%,$(dir $(wildcard autograder/tests/*/test_*.py))))
ASSIGNMENT  ?=
SUBMISSIONS ?=
JOBS        ?= 2
COURSE      ?= build/nbgrader
SEED        ?=

.PHONY: venv test grade check assignments handout grader-lock bench mnist sample-class points gradescope nbgrader clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

test: $(STAMP)
	$(PY) -m pytest tests

assignments: $(STAMP)
	$(PY) -m authoring $(if $(FORCE),--force)

handout: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make handout ASSIGNMENT=<$(ALL)>"; exit 2; }
	$(PY) -m authoring.handout $(ASSIGNMENT)

grader-lock: $(STAMP)
	$(PY) -m authoring.requirements grader --write

sample-class: $(STAMP)
	$(PY) -m tests.submissions build/sample_class

grade: $(STAMP)
ifeq ($(SUBMISSIONS),)
	@$(MAKE) --no-print-directory sample-class
	@set -e; for a in $(if $(ASSIGNMENT),$(ASSIGNMENT),$(sort $(GRADED))); do \
	  $(PY) -m autograder grade-all $$a build/sample_class/$$a --jobs $(JOBS) --csv build/gradebook-$$a.csv; \
	  echo "CSV: build/gradebook-$$a.csv"; done
else
	@test -n "$(ASSIGNMENT)" || { echo "make grade SUBMISSIONS=... needs ASSIGNMENT=<$(ALL)>"; exit 2; }
	@mkdir -p build
	$(PY) -m autograder grade-all $(ASSIGNMENT) $(SUBMISSIONS) --jobs $(JOBS) --csv build/gradebook-$(ASSIGNMENT).csv
endif

check: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make check ASSIGNMENT=<$(ALL)>"; exit 2; }
	cd assignments/$(ASSIGNMENT) && ../../$(PY) -m pytest -q -p no:cacheprovider test_$(ASSIGNMENT)_public.py

nbgrader: $(STAMP)
	$(PY) -m frontdoors.nbgrader.course $(COURSE) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(SEED),--seed $(SEED))

points: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make points ASSIGNMENT=<$(ALL)>"; exit 2; }
	@$(PY) -c "from autograder.catalog import points_table; print(points_table('$(ASSIGNMENT)'))"

gradescope: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make gradescope ASSIGNMENT=<$(ALL)>"; exit 2; }
	$(PY) -m frontdoors.gradescope.build $(ASSIGNMENT)

bench: $(STAMP)
	@set -e; for b in bench/bench_*.py; do $(PY) $$b; done

mnist: $(STAMP)
	$(PY) -m datasets.fetch_mnist

clean:
	rm -rf build
