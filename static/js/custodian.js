// /custodian and /custodian/lots/{id}: the time left until each lot's opening. The page hands
// over the server's clock, the wording and the language in #countdown-data.

import { skewFrom, startCountdowns } from "./countdown.js";

const data = document.getElementById("countdown-data").dataset;
startCountdowns(document.querySelectorAll("[data-deadline]"), {
  skew: skewFrom(data.serverNow),
  due: data.due,
  lang: data.lang,
});
