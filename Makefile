# The kit's commands. Every target creates the pinned environment (.venv) on first use.
#   make test                 the kit's own test suite (about 11 min; before a commit, and what CI runs);
#                             it ends with one line per group of skipped tests, naming the command that
#                             runs them (sudo .ci/setup-system)
#   make test-fast            the unit-level tests only (no class graded, no course built; about a
#                             minute): while working
#   make grade                grade the bundled sample class of every assignment; all it writes
#                             goes under build/sample_class/ (submissions/, <a>/gradebook.csv, results/, feedback/)
#   make grade ASSIGNMENT=mle SUBMISSIONS=path [OUT=dir] [FORCE=1] [DASK=tcp://host:8786]
#                             grade a class (one sub-folder per student, or an LMS download);
#                             writes OUT (default build/grades/<a>/); a re-run regrades only what changed
#   make grade ASSIGNMENT=mle SUBMISSIONS=download EXPORT=canvas [EXPORT_FILE=f.csv] [ROSTER=export.csv] [POLICY=late.toml]
#                             also write the gradebook as Canvas / Moodle / Blackboard imports it (default
#                             OUT/<EXPORT>.csv; ROSTER: the LMS's own gradebook export, filled in), and
#                             apply a late policy (the CSV gains submitted_at, late_by, penalty, evidence)
#   make check ASSIGNMENT=mle the public tests, as a student runs them, on assignments/<a>
#   make assignments          regenerate assignments/ (student stubs) from solutions/; refuses to
#                             overwrite a file changed by hand (FORCE=1 saves it under saved-work/ first)
#   make handout ASSIGNMENT=mle   build/handout/mle.zip, the self-contained student handout
#   make grader-lock          rewrite requirements-grader.lock (Gradescope's) from requirements.lock
#   make bench                benchmarks against scikit-learn / SciPy, grading latency and class
#                             throughput (prints Markdown tables; BENCH_CLASS_N=20 for a quick class run)
#   make bench-class BENCH_N=20  only the class throughput (--jobs 1, --jobs 2, a 2-worker Dask cluster)
#   make mnist                download the full MNIST (optional; checksums verified)
#   make nbgrader             build the nbgrader course (build/nbgrader): config, source/, release/
#   make points [ASSIGNMENT=mle] the points table of an assignment (for its README), or of every part
#   make mutation ASSIGNMENT=mle the hidden suite's mutation score and its surviving mutants
#   make gradescope ASSIGNMENT=mle [UNISOLATED=1]   build/gradescope-mle.zip, Gradescope's autograder
#                             upload (UNISOLATED=1: grade even in a container without namespaces)
#   make feedback-screenshot  docs/feedback.png and docs/class-report.png (README's pictures; needs chromium)

PYTHON_BOOT ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
ALL         := mle kde gmm bmm
GRADED       = $(notdir $(patsubst %/,%,$(dir $(wildcard hidden_tests/*/test_*.py))))
ASSIGNMENT  ?=
SUBMISSIONS ?=
JOBS        ?= 2
COURSE      ?= build/nbgrader
SEED        ?=
FORCE       ?=
DASK        ?=
SAMPLE      := build/sample_class
OUT         ?= build/grades/$(ASSIGNMENT)
BENCH_N     ?=
EXPORT      ?=
EXPORT_FILE ?= $(OUT)/$(EXPORT).csv
ROSTER      ?=
POLICY      ?=
LMS_OPTS     = $(if $(EXPORT),--export $(EXPORT) $(EXPORT_FILE)) $(if $(ROSTER),--roster $(ROSTER)) \
               $(if $(POLICY),--policy $(POLICY))

.PHONY: venv test test-fast grade bench-class check assignments handout grader-lock bench mnist sample-class points gradescope nbgrader mutation clean \
        feedback-screenshot

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

# Two test files at a time (each grades with its own worker processes): their idle time
# (sleeping submissions, nbgrader's start-up) overlaps. A file's tests stay in one worker.
test: $(STAMP)
	$(PY) -m pytest tests -n 2 --dist loadgroup --durations=20

# The unit-level test files: text, wire, intake, harness, stubs, datasets, sandbox, the catalogue's
# points and public tests, reports from synthetic results, the similarity report on the catalogue's
# modules, mutation operators, docs/'s contracts, who imports whom, the suite's own machinery
# (grouping, the skip summary), the LMS exports and late policy on results folders made by the
# test, the latency bench's measuring function (on trivial commands, never timed). None grades a
# class, builds an nbgrader course or runs the hostile suite.
FAST_TESTS := $(addprefix tests/test_,text.py wire.py intake.py harness.py stubs.py datasets.py sandbox.py \
                catalogue.py reports.py similarity.py mutation.py docs.py house.py parallel.py skip_summary.py \
                gradebook.py bench.py)

test-fast: $(STAMP)
	$(PY) -m pytest $(FAST_TESTS) -n 2 --dist loadgroup --durations=10

assignments: $(STAMP)
	$(PY) -m authoring $(if $(FORCE),--force)

handout: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make handout ASSIGNMENT=<$(ALL)>"; exit 2; }
	$(PY) -m authoring.handout $(ASSIGNMENT)

grader-lock: $(STAMP)
	$(PY) -m authoring.requirements grader --write

sample-class: $(STAMP)
	$(PY) -m samples.submissions $(SAMPLE)/submissions

# grade-all's options shared by both uses of make grade (the pages: grade-all runs python -m reports)
GRADE_OPTS = --jobs $(JOBS) $(if $(SEED),--seed $(SEED)) $(if $(FORCE),--force) $(if $(DASK),--dask $(DASK))

grade: $(STAMP)
ifeq ($(SUBMISSIONS),)
	@$(MAKE) --no-print-directory sample-class
	@set -e; for a in $(if $(ASSIGNMENT),$(ASSIGNMENT),$(sort $(GRADED))); do \
	  $(PY) -m autograder grade-all $$a $(SAMPLE)/submissions/$$a $(GRADE_OPTS) \
	    --csv $(SAMPLE)/$$a/gradebook.csv --results-dir $(SAMPLE)/$$a/results --feedback $(SAMPLE)/$$a/feedback; \
	  echo "Written: $(SAMPLE)/$$a/ (gradebook.csv, results/, feedback/)"; done
else
	@test -n "$(ASSIGNMENT)" || { echo "make grade SUBMISSIONS=... needs ASSIGNMENT=<$(ALL)>"; exit 2; }
	$(PY) -m autograder grade-all $(ASSIGNMENT) $(SUBMISSIONS) $(GRADE_OPTS) $(LMS_OPTS) \
	  --csv $(OUT)/gradebook.csv --results-dir $(OUT)/results --feedback $(OUT)/feedback
	@echo "Written: $(OUT)/ (gradebook.csv, results/, feedback/)$(if $(EXPORT), and $(EXPORT_FILE))"
endif

check: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make check ASSIGNMENT=<$(ALL)>"; exit 2; }
	cd assignments/$(ASSIGNMENT) && ../../$(PY) -m pytest -q -p no:cacheprovider test_$(ASSIGNMENT)_public.py

nbgrader: $(STAMP)
	$(PY) -m frontdoors.nbgrader.course $(COURSE) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(SEED),--seed $(SEED))

points: $(STAMP)
	@$(PY) -c "from autograder import catalog, engine; print(catalog.points_table('$(ASSIGNMENT)') if '$(ASSIGNMENT)' else catalog.parts_summary(engine.TIME_BUDGET))"

gradescope: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make gradescope ASSIGNMENT=<$(ALL)>"; exit 2; }
	$(PY) -m frontdoors.gradescope.build $(ASSIGNMENT) $(if $(UNISOLATED),--unisolated)

mutation: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make mutation ASSIGNMENT=<$(ALL)> [JOBS=2]"; exit 2; }
	$(PY) -m quality.mutation $(ASSIGNMENT) --jobs $(JOBS)

bench: $(STAMP)
	@set -e; for b in bench/bench_*.py; do $(PY) $$b; done

bench-class: $(STAMP)
	$(if $(BENCH_N),BENCH_CLASS_N=$(BENCH_N)) $(PY) bench/bench_class.py

mnist: $(STAMP)
	$(PY) -m datasets.fetch_mnist

feedback-screenshot: $(STAMP)
	$(PY) -m reports.screenshot $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT))

clean:
	rm -rf build
