# package.nix -- Tibra built with Nix: tibra, tibra-dnsd, tibra-spt,
# tibra-hvt, tibra-vmmd and the staged library tibra build links images
# from (PREFIX/lib/tibra), from this source tree, with `make install`.
#
# The compiler and objcopy are passed as absolute store paths: mk/stage.mk
# records them in PREFIX/lib/tibra/*/link.txt, and tibra build runs
# exactly those (a bare "gcc" would be looked up in /usr/bin and /bin).
# SOURCE_DATE_EPOCH and the version come from the flake (there is no .git
# in the store).  Not built here: the machine this was written on has no
# nixpkgs (docs/deploy.md, "NixOS").
{ lib, stdenv, bearssl, libseccomp, binutils, src ? ../., version ? "unknown"
, sourceDateEpoch ? 0 }:
stdenv.mkDerivation {
  pname = "tibra";
  inherit version src;
  buildInputs = [ bearssl libseccomp ];
  nativeBuildInputs = [ binutils ];
  enableParallelBuilding = true;
  # Reproducible by construction (Makefile: -ffile-prefix-map, sorted
  # inputs, deterministic archives); the epoch is the source's.
  SOURCE_DATE_EPOCH = toString sourceDateEpoch;
  makeFlags = [
    "CC=${stdenv.cc}/bin/cc"
    "HOSTCC=${stdenv.cc}/bin/cc"
    "OBJCOPY=${binutils}/bin/objcopy"
    "TB_VERSION=${version}"
    "PREFIX=${placeholder "out"}"
  ];
  installTargets = [ "install" ];
  # tibra-vmmd's unit, for services.tibra.manager (nix/module.nix).
  postInstall = ''
    install -D -m 0644 deploy/vmmd/tibra-vmmd.service \
      $out/share/tibra/tibra-vmmd.service
  '';
  meta = {
    description = "A library OS for unikernels and its authoritative DNS server";
    platforms = [ "x86_64-linux" "aarch64-linux" ];
  };
}
