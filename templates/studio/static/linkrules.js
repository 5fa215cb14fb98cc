// Whether an address can be a link in a mail: the rule of content/urls.py (link_trouble,
// with_scheme), written twice so the studio's link box (richtext.js) answers at once; a browser
// test keeps the two agreeing on a table of addresses, and the server's check (link.malformed)
// is the truth.
"use strict";

(function () {
  const SCHEMES = ["https", "http", "mailto"];
  const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
  const LOCAL_PART = /^[A-Za-z0-9.!#$&'*+/=?^_`{|}~\-\u0080-\u{10ffff}]+$/u;
  const DIGITS = /^[0-9]+$/;
  const FILE_SUFFIXES = new Set("htm html php asp aspx jsp pdf doc docx odt xls xlsx ods ppt pptx odp txt rtf csv zip jpg jpeg png gif svg webp mp3 mp4".split(" "));
  const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

  // The reason key an address is refused for ("no_scheme", "scheme", "space", "host", "port",
  // "mailto"), or null; an unfinished one ("", "#", "https://", "mailto:") is null, as there.
  function linkTrouble(url) {
    const value = url.trim();
    if (value === "" || value === "#") return null;
    const m = SCHEME.exec(value);
    if (!m) return "no_scheme";
    const scheme = m[1].toLowerCase();
    const rest = value.slice(m[0].length);
    if (!SCHEMES.includes(scheme)) return scheme.includes(".") || /^[0-9]/.test(rest) ? "no_scheme" : "scheme";
    const spaced = (text) => /[\s\p{Cc}]/u.test(text);
    if (scheme === "mailto") return spaced(rest.split("?")[0]) ? "space" : mailtoTrouble(rest);
    if (!rest.startsWith("//")) return rest.startsWith("/") ? "host" : "no_scheme";
    const netloc = rest.slice(2).split(/[/?#]/)[0];
    if (spaced(netloc)) return "space";
    const hostPort = netloc.slice(netloc.lastIndexOf("@") + 1);
    if (!hostPort) return null;
    let host, port;
    if (hostPort.startsWith("[")) {
      const close = hostPort.indexOf("]");
      host = close < 0 ? hostPort.slice(1) : hostPort.slice(1, close);
      port = close < 0 ? "" : hostPort.slice(close + 1);
      if (host.includes("%") || !ipv6(host) || (port && !port.startsWith(":"))) return "host";
      port = port.slice(1);
    } else {
      const colon = hostPort.indexOf(":");
      host = colon < 0 ? hostPort : hostPort.slice(0, colon);
      port = colon < 0 ? "" : hostPort.slice(colon + 1);
      if (!hostOk(host)) return "host";
    }
    if (port && !(DIGITS.test(port) && +port >= 1 && +port <= 65535)) return "port";
    return null;
  }
  function hostOk(host) {
    const name = host.endsWith(".") ? host.slice(0, -1) : host;
    if (!name || [...name].length > 253 || name.includes("%")) return false;
    const labels = name.split(".");
    if (labels.every((l) => DIGITS.test(l))) return IPV4.test(name);
    for (const label of labels) {
      if (!label || [...label].length > 63 || label.startsWith("-") || label.endsWith("-")) return false;
      if (!/^[\p{L}\p{N}\p{M}_-]+$/u.test(label)) return false;
    }
    return !DIGITS.test(labels[labels.length - 1]);
  }
  function ipv6(text) {
    try { new URL(`http://[${text}]/`); return /^[0-9A-Fa-f:.]+$/.test(text); } catch (e) { return false; }
  }
  function mailtoTrouble(rest) {
    const raw = rest.split("?")[0];
    let to;
    try { to = decodeURIComponent(raw); } catch (e) { to = raw; }
    if (!to.trim()) return null;
    for (const address of to.split(",")) {
      const a = address.trim();
      const at = a.lastIndexOf("@");
      const local = at < 0 ? "" : a.slice(0, at), domain = a.slice(at + 1);
      if (at < 0 || !local || !LOCAL_PART.test(local) || local.includes("..") || !hostOk(domain) || !domain.replace(/^\.+|\.+$/g, "").includes(".")) return "mailto";
    }
    return null;
  }
  // "https://" + what was typed, when it is a host and path without a scheme (www.example.org/prijava).
  function withScheme(typed) {
    const value = typed.trim();
    if (!value || linkTrouble(value) !== "no_scheme" || /^[/.@]/.test(value) || value.split("/")[0].includes("@")) return null;
    const candidate = "https://" + value;
    const host = value.split(/[/?#:]/)[0].replace(/\.+$/, "");
    const top = host.split(".").pop();
    if (!host.includes(".") || !/^\p{L}+$/u.test(top) || [...top].length < 2 || FILE_SUFFIXES.has(top.toLowerCase()) || linkTrouble(candidate) !== null) return null;
    return candidate;
  }

  // Whether an address the rule lets through leads nowhere yet: content/unfinished.py's unfinished_url
  // (empty, "#", a web address with no host, a bare stand-in domain, a host no reader reaches, a
  // mailto: with no address). The check refuses these to send; the link box refuses to make them.
  const STAND_IN = new Set(["", "www."].flatMap((w) => ["com", "org", "net"].map((t) => `${w}example.${t}`)));
  function linkUnfinished(url) {
    const value = url.trim();
    if (value === "" || value === "#") return true;
    const m = SCHEME.exec(value);
    const scheme = m ? m[1].toLowerCase() : "";
    const rest = m ? value.slice(m[0].length) : value;
    if (scheme === "http" || scheme === "https") {
      const after = rest.startsWith("//") ? rest.slice(2) : "";
      const netloc = after.split(/[/?#]/)[0];
      const tail = after.slice(netloc.length);
      const path = tail.split(/[?#]/)[0];
      const query = tail.includes("?") ? tail.split("#")[0].slice(tail.indexOf("?") + 1) : "";
      let host = netloc.slice(netloc.lastIndexOf("@") + 1);
      host = host.startsWith("[") ? host.slice(1, host.indexOf("]") < 0 ? undefined : host.indexOf("]")) : host.split(":")[0];
      host = host.replace(/\.+$/, "").toLowerCase();
      if (!host) return true;
      if (STAND_IN.has(host) && (path === "" || path === "/") && !query) return true;
      return /(^|\.)(localhost|invalid)$/.test(host);
    }
    if (scheme === "mailto") return !rest.split("?")[0].trim();
    return false;
  }

  window.StudioLinkRules = { linkTrouble, withScheme, linkUnfinished };
})();
