/* The book's own script, loaded on every page (_config.yml, html_js_files), after the
   theme's. Four small things, each independent of the others; checked in a real
   browser by `make browser-test` (tools/check_pages.py).

   1. Figures open enlarged: a click, a tap, Enter or Space on an output image (or a
      figure image in the text) shows it in a full-window overlay, at least at its
      natural size (on a phone it can then be scrolled); a click anywhere, Escape or
      the close button closes it and gives the focus back to the image.
   2. Display maths that is wider than the column: slightly too wide, it is set a
      little smaller (down to MATH_MIN_SCALE); wider still, it scrolls sideways
      and fades out at the edges that have more to see (classes `cnnbook-scrolls`,
      `cnnbook-more-left`, `cnnbook-more-right`). Tables that scroll get the same.
   3. One solution widget per exercise: a folded code cell titled "Show the solution
      to exercise N" next to the prose dropdown "Solution to exercise N" (before or
      after it) is moved to the end of that dropdown, where it stays folded as "Show
      the code". Without JavaScript both folds stay, one after the other.
   4. Search results quote the page text; maths there is raw TeX ("\(K\)"). The
      summaries are made from the text with the delimiters removed and common TeX
      commands replaced by their characters.
*/
(function () {
  "use strict";

  /* ---------------------------------------------------------------- 1. zoom */

  var ZOOMABLE = ".bd-article .cell_output img, .bd-article figure img";

  function openZoom(img) {
    var overlay = document.createElement("div");
    overlay.className = "cnnbook-zoom";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Enlarged figure (Escape closes it)");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "cnnbook-zoom-close";
    close.setAttribute("aria-label", "Close the enlarged figure");
    close.textContent = "\u00d7";
    var big = document.createElement("img");
    big.src = img.currentSrc || img.src;
    big.alt = img.alt || "";
    // At least the natural size; larger when the window has room for it.
    var natW = img.naturalWidth || img.width, natH = img.naturalHeight || img.height;
    var fit = Math.min((window.innerWidth - 32) / natW, (window.innerHeight - 32) / natH);
    var scale = Math.max(1, fit);
    big.style.width = Math.round(natW * scale) + "px";
    big.style.height = Math.round(natH * scale) + "px";
    overlay.appendChild(close);
    overlay.appendChild(big);

    var root = document.documentElement;
    var previousOverflow = root.style.overflow;
    function shut() {
      document.removeEventListener("keydown", onKey, true);
      overlay.remove();
      root.style.overflow = previousOverflow;
      img.focus();
    }
    function onKey(event) {
      if (event.key === "Escape") {
        event.preventDefault();
        shut();
      } else if (event.key === "Tab") {
        event.preventDefault(); // the close button is the dialog's only control
        close.focus();
      }
    }
    // A click closes it, but not the end of a drag that scrolled a large figure.
    var downAt = null;
    overlay.addEventListener("pointerdown", function (e) { downAt = [e.clientX, e.clientY]; });
    overlay.addEventListener("click", function (e) {
      if (downAt && Math.hypot(e.clientX - downAt[0], e.clientY - downAt[1]) > 8) return;
      shut();
    });
    document.addEventListener("keydown", onKey, true);
    root.style.overflow = "hidden";
    document.body.appendChild(overlay);
    close.focus();
  }

  function setUpZoom() {
    document.querySelectorAll(ZOOMABLE).forEach(function (img) {
      if (img.closest("a")) return; // a linked image keeps its link
      img.classList.add("cnnbook-zoomable");
      img.tabIndex = 0;
      img.setAttribute("role", "button");
      var alt = (img.getAttribute("alt") || "").trim();
      img.setAttribute("aria-label", "Enlarge the figure" + (alt ? ": " + alt : ""));
      img.addEventListener("click", function () { openZoom(img); });
      img.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          openZoom(img);
        }
      });
    });
  }

  /* ------------------------------------------------- 2. wide maths, tables */

  var MATH_MIN_SCALE = 0.85;

  function showMoreSides(box) {
    var wide = box.classList.contains("cnnbook-scrolls");
    box.classList.toggle("cnnbook-more-left", wide && box.scrollLeft > 1);
    box.classList.toggle("cnnbook-more-right",
      wide && box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
  }

  function markScrolling(box) {
    var wide = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("cnnbook-scrolls", wide);
    if (!box.dataset.cnnbookWatched) {
      box.dataset.cnnbookWatched = "true";
      box.addEventListener("scroll", function () { showMoreSides(box); }, {passive: true});
    }
    showMoreSides(box);
    if (wide) {
      box.tabIndex = 0; // reachable and scrollable from the keyboard
    } else if (box.getAttribute("tabindex") === "0" && box.matches("mjx-container")) {
      box.removeAttribute("tabindex");
    }
  }

  function fitDisplayMaths() {
    document.querySelectorAll('.bd-article mjx-container[display="true"]').forEach(function (m) {
      if (m.dataset.cnnbookFont === undefined) m.dataset.cnnbookFont = m.style.fontSize || "";
      m.style.fontSize = m.dataset.cnnbookFont;
      if (m.clientWidth > 0 && m.scrollWidth > m.clientWidth + 1) {
        var scale = m.clientWidth / m.scrollWidth;
        if (scale >= MATH_MIN_SCALE) {
          var base = parseFloat(getComputedStyle(m).fontSize);
          m.style.fontSize = (base * scale * 0.995).toFixed(2) + "px";
        }
      }
      markScrolling(m);
    });
    document.querySelectorAll(".bd-article .pst-scrollable-table-container").forEach(markScrolling);
  }

  function whenMathsTypeset(then) {
    var tries = 0;
    (function wait() {
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        MathJax.startup.promise.then(then, then);
      } else if (++tries < 100) {
        setTimeout(wait, 100);
      } else {
        then(); // no MathJax on this page: tables still get their cue
      }
    })();
  }

  function setUpWideContent() {
    var pending = null;
    whenMathsTypeset(function () {
      fitDisplayMaths();
      document.documentElement.dataset.cnnbookMathsFitted = "true";
      window.addEventListener("resize", function () {
        clearTimeout(pending);
        pending = setTimeout(fitDisplayMaths, 150);
      });
      // Folds hide their content until opened: measure it when it appears.
      document.addEventListener("toggle", function () { fitDisplayMaths(); }, true);
    });
  }

  /* ---------------------------------------------------- 3. one solution widget */

  var SOLUTION_RE = /solution to exercise\s+([\w.]+)/i;

  function summaryText(details) {
    var summary = details.querySelector(":scope > summary");
    return summary ? summary.textContent : "";
  }

  // The prose solution for a code cell: the nearest fold with the same exercise
  // number among its siblings before it (else after it); another code cell, a
  // section or a heading in between, or a solution to another exercise, ends the search.
  function proseSolutionFor(cell, number) {
    var steps = ["previousElementSibling", "nextElementSibling"];
    for (var s = 0; s < steps.length; s++) {
      for (var el = cell[steps[s]]; el; el = el[steps[s]]) {
        if (el.matches(".cell, section, h1, h2, h3, h4, h5, h6")) break;
        var other = el.matches("details") ? SOLUTION_RE.exec(summaryText(el)) : null;
        if (other) {
          if (other[1] === number) return el;
          break;
        }
      }
    }
    return null;
  }

  function mergeSolutions() {
    document.querySelectorAll(".bd-article .cell.tag_hide-cell > details").forEach(function (fold) {
      var match = SOLUTION_RE.exec(summaryText(fold));
      if (!match) return;
      var cell = fold.parentElement;
      var dropdown = proseSolutionFor(cell, match[1]);
      if (!dropdown) return;
      var body = dropdown.querySelector(":scope > .sd-summary-content") || dropdown;
      body.appendChild(cell);
      cell.classList.add("cnnbook-solution-code");
      var shown = fold.querySelector(":scope > summary .collapsed");
      var hidden = fold.querySelector(":scope > summary .expanded");
      if (shown) shown.textContent = "Show the code";
      if (hidden) hidden.textContent = "Hide the code";
    });
  }

  /* ------------------------------------------------------- 4. search summaries */

  var TEX_SYMBOLS = {
    times: "\u00d7", cdot: "\u00b7", le: "\u2264", leq: "\u2264", ge: "\u2265",
    geq: "\u2265", ne: "\u2260", neq: "\u2260", approx: "\u2248", sim: "\u223c",
    to: "\u2192", rightarrow: "\u2192", leftarrow: "\u2190", infty: "\u221e",
    sum: "\u2211", prod: "\u220f", partial: "\u2202", nabla: "\u2207", in: "\u2208",
    odot: "\u2299", otimes: "\u2297", pm: "\u00b1", top: "\u22a4", ldots: "\u2026",
    dots: "\u2026", cdots: "\u22ef", alpha: "\u03b1", beta: "\u03b2", gamma: "\u03b3",
    delta: "\u03b4", Delta: "\u0394", epsilon: "\u03b5", eta: "\u03b7", theta: "\u03b8",
    lambda: "\u03bb", mu: "\u03bc", pi: "\u03c0", rho: "\u03c1", sigma: "\u03c3",
    Sigma: "\u03a3", tau: "\u03c4", phi: "\u03c6", omega: "\u03c9"
  };

  // Layout-only commands, dropped; any other command keeps its name (\max, \log).
  var TEX_DROPPED = /^(?:[Bb]igg?[lr]?|left|right|quad|qquad|displaystyle|textstyle|limits|nolimits|tilde|hat|bar|vec|dot|mathbb|mathcal|boldsymbol|underbrace|overbrace|tfrac|dfrac|sqrt|operatorname)$/;

  // "\(H \times W\)" -> "H × W": readable text for a search summary.
  function texToText(tex) {
    return tex
      .replace(/^\s*(\\\(|\\\[|\$\$?)/, "").replace(/(\\\)|\\\]|\$\$?)\s*$/, "")
      .replace(/\\(?:begin|end)\s*\{[^{}]*\}/g, " ")
      .replace(/\\(?:text|mathrm|mathbf|mathit|operatorname|textbf|textit)\s*\{([^{}]*)\}/g, "$1")
      .replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "$1/$2")
      .replace(/\\([A-Za-z]+)/g, function (all, name) {
        if (Object.prototype.hasOwnProperty.call(TEX_SYMBOLS, name)) return TEX_SYMBOLS[name];
        return TEX_DROPPED.test(name) ? "" : name; // \max -> max
      })
      .replace(/\\\\|&/g, " ")
      .replace(/\\[,;:! ]/g, " ")
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }

  function setUpSearchSummaries() {
    if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
    var original = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".math").forEach(function (el) {
        el.textContent = " " + texToText(el.textContent) + " ";
      });
      return original.call(this, doc.documentElement.outerHTML, anchor);
    };
    Search.cnnbookTexToText = texToText;
  }

  function start() {
    setUpZoom();
    setUpWideContent();
    mergeSolutions();
    setUpSearchSummaries();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
