# node-installer: `make demo` walks through an install on image files,
# `make test` runs the whole suite (unit, root, fuzz and VM tests).
SHELL   := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin/node-installer
GO      ?= go
# package:FuzzTarget pairs run briefly by `make test`
FUZZ    := ./installer:FuzzParseCmdline ./installer:FuzzLoadAnswerFile ./installer:FuzzClassifyVersions \
           ./internal/cmdline:FuzzTokenize ./internal/bls:FuzzEntry ./network:FuzzMakePlan \
           ./network:FuzzNormalizeMAC ./storage:FuzzInspect ./storage:FuzzProbeContents ./storage/esp:FuzzOpenReadOnly ./installer/media:FuzzOpen ./tui:FuzzFormToConfig
FUZZTIME ?= 8s

.PHONY: build demo test deps unit fuzz e2e bench lint clean bundle media demo-vm screenshots

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/node-installer

demo: build
	$(BIN) demo

deps:
	@test/deps.sh

test: deps build lint unit fuzz e2e
	@echo "make test: all suites passed"

unit:
	$(GO) test -count=1 -timeout 20m ./...

fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) test/fuzz.sh $(FUZZ)

e2e: build
	$(GO) test -tags e2e -count=1 -timeout 30m ./test/... ./network/...

bench: build
	$(GO) test -run='^$$' -bench=. -benchmem -timeout 30m ./...
	$(GO) test -tags e2e -run='^$$' -bench=MediaBuild -benchtime 3x -timeout 30m ./test/e2e/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	@./test/layering.sh

# the bootable test media bundle (Debian cloud kernel, systemd-boot, a test root image)
BUNDLE_VERSION ?= 1.0.0
bundle: build
	$(GO) run ./test/vm/cmd/mkbundle -version $(BUNDLE_VERSION) -installer $(BIN) out/bundle

# the boot media of the test bundle: out/media/node-<version>.iso (hybrid
# ISO/USB, BIOS + UEFI) and out/media/pxe/ (NODE_KERNEL_FLAVOR=amd64 for
# real hardware; the cloud kernel boots faster in a VM)
NODE_KERNEL_FLAVOR ?= cloud-amd64
media: deps bundle
	$(BIN) media build --bundle out/bundle --trust-key out/bundle/test-key.pub --out out/media --kernel-flavor $(NODE_KERNEL_FLAVOR) --installer $(BIN)

# boots the ISO of `make media` in qemu: two blank disks, the serial
# console in this terminal (boot menu, TUI, install, the node's first boot)
demo-vm: media
	test/demo-vm.sh out/media/node-$(BUNDLE_VERSION).iso out/demo-vm

# PNG screenshots of the boot menu and the first TUI pages (VGA, qemu's
# screendump) into docs/images/, shown in the README
screenshots: media
	$(GO) run ./test/vm/cmd/screenshots -iso out/media/node-$(BUNDLE_VERSION).iso -installer $(BIN) -out docs/images -pages 5

clean:
	rm -rf bin out
