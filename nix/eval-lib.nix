# eval-lib.nix -- what nix/module.nix computes for an instance, as plain
# functions of builtins (no nixpkgs lib), so nix/tests/eval.nix can
# evaluate them with stand-ins for runCommand and writeText.
let
  inherit (builtins) mapAttrs split length elemAt fromJSON;
  last = l: elemAt l (length l - 1);
in
rec {
  # "ADDR@PORT" -> PORT
  port = l: fromJSON (last (split "@" l));

  # An instance (options with their defaults) -> its service file texts
  # and its units derivation.
  instance = { runCommand, writeText, iproute2, tibra }: name: i:
    let
      zoneFile = z: zc:
        if zc.data != null then writeText "${z}.zone" zc.data
        else if zc.file != null then "${zc.file}"
        else null;
      # tibra-dnsd runs as a dynamic user, which cannot read a key file
      # of the operator's: systemd hands each one over as a credential
      # (LoadCredential=KEY:keyFile, see module.nix), at a fixed path.
      keyPath = k: kc: "/run/credentials/tibra-${name}.service/${k}";
      serviceText = import ./service-file.nix { inherit name zoneFile keyPath; cfg = i; };
      # The check (tibra-dnsd --check reads every secret-file) gets a
      # throw-away secret of each key's algorithm: the real files are
      # outside the store.
      dummy = writeText "tibra-check-secret" "dGlicmEtY2hlY2stb25seS1ub3QtYS1zZWNyZXQ=\n";
      checkText = import ./service-file.nix {
        inherit name zoneFile;
        cfg = i // { keys = mapAttrs (k: kc: kc // { keyFile = "${dummy}"; }) i.keys; };
      };
    in
    {
      inherit serviceText checkText;
      credentials = map (k: "${k}:${i.keys.${k}.keyFile}") (builtins.attrNames i.keys);
      units = import ./units.nix { inherit runCommand writeText iproute2; } {
        inherit name tibra serviceText checkText;
        cfg = i;
      };
    };
}
