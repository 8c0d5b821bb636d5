// /bidder: countdowns against the server clock, receipts checked in the browser, keys card.

import { initKeys } from "./keys-ui.js";
import { checkReceiptsInPage, startCountdowns } from "./ui.js";

startCountdowns();
await Promise.all([checkReceiptsInPage(), initKeys()]);
document.body.dataset.ready = "true";
