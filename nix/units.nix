# units.nix -- the systemd units of one services.tibra instance, written
# by `tibra deploy systemd` itself at build time (so they are the units
# the Debian guide installs, setting for setting), after the zones are
# checked the way the nsd module runs nsd-checkzone:
#
#   target unix: tibra-dnsd --check on the service file (with every
#     keyFile replaced by a throw-away secret of the same algorithm: the
#     real ones are outside the store and unreadable in the sandbox);
#   spt, hvt: tibra build (compiles every zone into the image).
#
# Pure apart from `runCommand`: nix/tests/eval.nix evaluates it with a
# stub that records the build script instead of running it.
{ runCommand, writeText, iproute2 }:
{ name, cfg, tibra, serviceText, checkText }:
let
  guest = cfg.target != "unix";
  conf = writeText "${name}.conf" serviceText;
  check = writeText "${name}-check.conf" checkText;
  managed = guest && cfg.network.bridge != null;
  bridge = cfg.network.bridge
    + (if cfg.network.mac != null then "@${cfg.network.mac}" else "");
  deployArgs =
    if !guest then "--conf ${conf}"
    else if managed then "--image $out/image --manager ${bridge}"
    else "--image $out/image --ip ${iproute2}/bin/ip";
in
runCommand "tibra-${name}-units" { nativeBuildInputs = [ tibra ]; } ''
  mkdir -p $out/lib/systemd/system
  ${if guest then ''
    tibra build ${conf} --target ${cfg.target} -o $out/image -q
  '' else ''
    tibra-dnsd --check ${check}
  ''}
  tibra deploy systemd ${conf} --target ${cfg.target} \
    -o $out/lib/systemd/system --prefix ${tibra} ${deployArgs} >/dev/null
''
