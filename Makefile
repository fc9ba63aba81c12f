# gohaproxy / gokeepalived
#
# make build    both binaries into bin/
# make run      build and start gohaproxy on the shipped example config (loopback)
# make test     install missing test dependencies (Debian packages, services not
#               started), then run every test
# make bench    benchmarks against haproxy on this machine (docs/BENCHMARKS.md)
# make demo-ha  (root) the two-node HA lab with a failover under curl
# make lint     gofmt + go vet
# make install  PREFIX=/usr/local DESTDIR= (like haproxy's and keepalived's)

GO       ?= go
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
DOCDIR   ?= $(PREFIX)/share/doc/gohaproxy
DESTDIR  ?=
BINARIES := gohaproxy gokeepalived
GOFLAGS  ?=
TESTTIMEOUT ?= 18m

.PHONY: all build run test test-deps unit lint bench install uninstall clean fuzz docs demo-ha

all: build

build:
	@mkdir -p bin
	$(GO) build $(GOFLAGS) -o bin/ ./cmd/...

run: build
	@scripts/run-example.sh

test-deps:
	@scripts/install-test-deps.sh

test: test-deps lint build
	$(GO) test -count=1 -timeout $(TESTTIMEOUT) ./...

unit:
	$(GO) test -count=1 -short ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

docs:
	$(GO) test -count=1 ./pkg/haproxycfg -run TestCompatDoc -update
	$(GO) run ./cmd/gokeepalived --compat-doc > docs/keepalived-compat.md

FUZZTIME ?= 30s
fuzz:
	@FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

bench: build
	@scripts/bench.sh

# demo-ha (root): the seed's two nodes in network namespaces, each running
# gohaproxy and gokeepalived; curl keeps requesting the VIP while the proxy
# on the master dies and comes back. Everything is removed at the end.
demo-ha: build
	LAB_DEMO=1 $(GO) test -count=1 -v -run '^TestDemoHA$$' ./internal/lab 2>&1 | grep -E '^(demo:|[0-9]{2}:[0-9]{2}|--- |ok|FAIL|PASS)'

install: build
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 bin/gohaproxy bin/gokeepalived $(DESTDIR)$(SBINDIR)/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(BINARIES))
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf bin
