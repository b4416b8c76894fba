# image.nix -- the image of a service file, built with Nix: `tibra build`
# run by the tibra package on the service file and its zones, in the
# build sandbox.  It is the same program with the same inputs as `tibra
# build` on a host with that package (so the same bytes: the image
# depends only on the staged objects, the zones and the arguments; see
# docs/tibra.md, "Reproducible builds"); it is NOT the same bytes as an
# image built by a Debian-built tibra, whose objects come from Debian's
# compiler.  Zones are checked on the way (a bad zone fails the build
# with FILE:LINE).  Not run here: no nixpkgs on the machine this was
# written on (docs/deploy.md, "NixOS").
#
#   buildImage { serviceFile = ./ns1.conf; target = "spt"; }
#     -> /nix/store/...-tibra-image-ns1/ns1.spt (+ ns1.spt.record)
#
# (serviceFile)'s directory is copied whole, so relative zone paths work.
{ runCommand, tibra }:
{ serviceFile, target ? null, arch ? null, name ? "image" }:
let
  dir = builtins.dirOf serviceFile;
  base = builtins.baseNameOf serviceFile;
  t = if target == null then "" else "--target ${target}";
  a = if arch == null then "" else "--arch ${arch}";
in
runCommand "tibra-image-${name}" { nativeBuildInputs = [ tibra ]; } ''
  cp -r ${dir} src && chmod -R u+w src
  mkdir -p $out
  tibra build src/${base} ${t} ${a} -o $out/${name} -q
''
