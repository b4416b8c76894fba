# stub-lib.nix -- the part of nixpkgs' lib (and of the module system) that
# nix/module.nix uses, written with builtins only so the module can be
# evaluated on a machine without nixpkgs (Debian's nix-bin, no network).
# It is a stand-in, not the module system: option declarations give their
# defaults and the settings given are merged over them (submodules,
# attrsOf submodule and nested option sets included); types are checked
# only as far as `check` below does (enum, bool, listOf, nullOr).  What
# it cannot show -- real option merging, priorities, the NixOS options
# the module sets (systemd, users, firewall) -- is said in docs/deploy.md.
let
  inherit (builtins) isAttrs isList isBool isString attrNames listToAttrs
    mapAttrs filter concatLists elem hasAttr throw;
  isOption = x: isAttrs x && x ? _type && x._type == "option";
in
rec {
  mkOption = o: o // { _type = "option"; };
  mkEnableOption = what: mkOption { type = types.bool; default = false; description = "Whether to enable ${what}."; };
  mkIf = cond: v: if cond then v else { };
  literalExpression = s: s;
  types = {
    str = { name = "str"; };
    lines = { name = "lines"; };
    path = { name = "path"; };
    bool = { name = "bool"; };
    package = { name = "package"; };
    enum = l: { name = "enum"; values = l; };
    nullOr = t: { name = "nullOr"; elem = t; };
    listOf = t: { name = "listOf"; elem = t; };
    attrsOf = t: { name = "attrsOf"; elem = t; };
    submodule = f: { name = "submodule"; fn = f; };
  };
  check = path: t: v:
    if t.name == "nullOr" then (if v == null then v else check path t.elem v)
    else if t.name == "enum" then (if elem v t.values then v else throw "${path}: '${toString v}' is not one of ${toString t.values}")
    else if t.name == "bool" then (if isBool v then v else throw "${path}: not a bool")
    else if t.name == "listOf" then (if isList v then map (check path t.elem) v else throw "${path}: not a list")
    else if t.name == "str" || t.name == "lines" then (if isString v then v else throw "${path}: not a string")
    else v;
  # Settings (v) merged over the defaults of option set (opts).
  apply = path: opts: v:
    let unknown = filter (k: !(hasAttr k opts)) (attrNames v); in
    if unknown != [ ] then throw "${path}: no such option: ${toString unknown}" else
    mapAttrs (k: o:
      let p = "${path}.${k}"; in
      if isOption o then
        (if hasAttr k v then value p o.type v.${k}
         else if o ? default then value p o.type o.default
         else throw "${p}: no value and no default")
      else apply p o (v.${k} or { })) opts;
  value = path: t: v:
    if t.name == "submodule" then apply path (t.fn { name = baseName path; }).options v
    else if t.name == "attrsOf" then mapAttrs (n: x: value "${path}.${n}" t.elem x) v
    else check path t v;
  baseName = p: let l = builtins.split "\\." p; in builtins.elemAt l (builtins.length l - 1);

  # lib functions the module calls
  inherit mapAttrs;
  filterAttrs = f: s: listToAttrs (concatLists (map (n: if f n s.${n} then [{ name = n; value = s.${n}; }] else [ ]) (attrNames s)));
  mapAttrsToList = f: s: map (n: f n s.${n}) (attrNames s);
  mapAttrs' = f: s: listToAttrs (mapAttrsToList f s);
  nameValuePair = name: value: { inherit name value; };
  flatten = x: if isList x then concatLists (map flatten x) else [ x ];
  optional = c: x: if c then [ x ] else [ ];
  optionalAttrs = c: s: if c then s else { };
  unique = l: builtins.foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ] l;
}
