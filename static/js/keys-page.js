// /keys: the keys card on its own page (bidders, custodians, experts).

import { initKeys } from "./keys-ui.js";

await initKeys();
document.body.dataset.ready = "true";
