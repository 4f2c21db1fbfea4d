# Shared by the libtorch 2.x scripts (test-libtorch2.sh, check-libtorch2.sh, cross-version.sh); source it,
# do not run it. A Debian 13 (trixie) chroot with Debian's libtorch-dev 2.6 and this checkout in /noiselab,
# its addon built against that libtorch. The Debian mirror is the one this machine's apt already uses
# (/etc/apt/sources.list.d/*.sources, deb822, or the one-line *.list and sources.list), or $DEBIAN_MIRROR.
# The chroot lives in $TRIXIE_ROOT (default /tmp/noiselab-trixie) and is reused: made once with debootstrap.

libtorch2_root=${TRIXIE_ROOT:-/tmp/noiselab-trixie}

# The URI of this machine's main Debian archive: the first apt source with a release suite (no
# "-security"/"-updates" suffix) that serves Debian's "main" component.
libtorch2_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local mirror files=() f
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] && mirror=$(awk '
    function flush() {
      if (found == "" && uris != "" && suites ~ /(^| )[a-z]+( |$)/ && components ~ /(^| )main( |$)/) found = uris
      uris = suites = components = ""
    }
    FNR == 1 { flush() }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) flush()
      else if ($1 == "URIs:") uris = $2
      else if ($1 == "Suites:") { $1 = ""; suites = $0 }
      else if ($1 == "Components:") { $1 = ""; components = $0 }
      next
    }
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      uris = $i; suites = " " $(i + 1); components = ""
      for (j = i + 2; j <= NF; j++) components = components " " $j
      flush()
    }
    END { flush(); print found }
  ' "${files[@]}")
  if [ -z "$mirror" ]; then
    echo "no Debian mirror found in /etc/apt/sources.list.d/ or /etc/apt/sources.list; set DEBIAN_MIRROR" >&2
    return 1
  fi
  echo "$mirror"
}

# Makes the chroot (once), mounts /proc and /dev into it (libtorch2_unmount undoes that), installs
# libtorch-dev 2.6 and the test tools, copies this checkout (built: dist/ and node_modules/) and
# this machine's node in, and builds the addon there (again only when the native sources changed). Needs root and debootstrap.
libtorch2_setup() {
  local root=$libtorch2_root mirror
  mirror=$(libtorch2_mirror)
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    debootstrap --variant=minbase --include=ca-certificates trixie "$root" "$mirror" > "$root.debootstrap.log" 2>&1 || { tail "$root.debootstrap.log" >&2; return 1; }
  fi
  mountpoint -q "$root/proc" || mount --bind /proc "$root/proc"
  mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
  # Installed on every run, so that an existing chroot gets packages added here later.
  chroot "$root" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libtorch-dev g++ python3 python3-numpy python3-safetensors dataset-fashion-mnist > /dev/null'
  # A fresh copy, but for the addon's objects built there from the same native sources (the copy keeps
  # the sources' modification times, so the build's own mtime check cannot see another checkout's changes).
  local sources build="$root/noiselab/native/build"
  sources=$(cat native/src/* | sha256sum | cut -d' ' -f1)
  [ "$(cat "$build/sources.sha256" 2> /dev/null)" = "$sources" ] || rm -rf "$build"
  mkdir -p "$root/noiselab/native"
  find "$root/noiselab" -mindepth 1 -maxdepth 1 ! -name native -exec rm -rf {} +
  find "$root/noiselab/native" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
  tar --exclude=./native/build --exclude=./runs --exclude=./.git --exclude=./.carry -cf - . | tar -C "$root/noiselab" -xf -
  cp "$(command -v node)" "$root/usr/local/bin/node"
  chroot "$root" bash -c "cd /noiselab && node scripts/build-native.mjs && node -e 'import(\"/noiselab/dist/src/torch/index.js\").then((t) => console.log(\"libtorch\", t.buildInfo().torchVersion))'"
  echo "$sources" > "$build/sources.sha256"
}

libtorch2_unmount() {
  umount "$libtorch2_root/proc" "$libtorch2_root/dev" 2> /dev/null || true
}
