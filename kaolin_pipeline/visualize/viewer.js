// kaolin-pipeline viewer: the Training and Dataset Visualizers on three.js (window.THREE).
// Reads the scene from <script id="kp-scene">; the data model is documented in visualize/scene.py.
(function () {
  "use strict";
  const SCENE = JSON.parse(document.getElementById("kp-scene").textContent);
  const MODE = document.body.dataset.mode;
  const $ = (id) => document.getElementById(id);
  const BACKGROUND = 0xf5f5f5;
  const QUANT_LEVELS = 65535;
  const ARRAY_TYPES = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array };

  // ------------------------------------------------------------------ decoding (inverse of encode.py)
  function base64Bytes(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function decodeArray(encoded) {
    const Type = ARRAY_TYPES[encoded.dtype];
    const bytes = base64Bytes(encoded.data);
    const raw = new Type(bytes.buffer, 0, bytes.byteLength / Type.BYTES_PER_ELEMENT);
    const columns = encoded.shape[1];
    if (!encoded.min) return raw;
    const out = new Float32Array(raw.length);
    for (let c = 0; c < columns; c++) {
      const low = encoded.min[c], step = (encoded.max[c] - encoded.min[c]) / QUANT_LEVELS;
      for (let i = c; i < raw.length; i += columns) out[i] = low + raw[i] * step;
    }
    return out;
  }

  const decoded = new Map(); // small cache: scrubbing back and forth does not decode again
  function cachedDecode(encoded) {
    if (!encoded) return null;
    let value = decoded.get(encoded);
    if (value === undefined) {
      value = decodeArray(encoded);
      decoded.set(encoded, value);
      if (decoded.size > 48) decoded.delete(decoded.keys().next().value);
    }
    return value;
  }

  // ------------------------------------------------------------------ geometry
  // Colours in files and logs are display values, like texture pixels (sRGB); three.js lights in linear
  // light, so uint8 colours go through the sRGB → linear curve (textures are tagged sRGB instead).
  const SRGB_TO_LINEAR = Float32Array.from({ length: 256 }, (_, i) => new THREE.Color().setRGB(i / 255, 0, 0, THREE.SRGBColorSpace).r);

  function meshGeometry(item, frame, shading) {
    const positions = cachedDecode(frame.positions);
    const faces = cachedDecode(frame.faces || item.faces);
    const uvs = cachedDecode(frame.uvs || item.uvs);
    const faceUvs = cachedDecode(frame.face_uvs || item.face_uvs);
    const colors = cachedDecode(frame.colors);
    const assignments = cachedDecode(frame.material_assignments || item.material_assignments);
    const faceCount = faces.length / 3, corners = faces.length;
    // faces in drawing order: grouped by material when there are several (one draw call per material)
    const order = Array.from({ length: faceCount }, (_, f) => f);
    if (assignments) order.sort((a, b) => assignments[a] - assignments[b] || a - b);
    const faceNormal = new Float32Array(corners); // per face (x, y, z), area-weighted
    for (let f = 0; f < corners; f += 3) {
      const a = faces[f] * 3, b = faces[f + 1] * 3, c = faces[f + 2] * 3;
      const ux = positions[b] - positions[a], uy = positions[b + 1] - positions[a + 1], uz = positions[b + 2] - positions[a + 2];
      const vx = positions[c] - positions[a], vy = positions[c + 1] - positions[a + 1], vz = positions[c + 2] - positions[a + 2];
      faceNormal[f] = uy * vz - uz * vy; faceNormal[f + 1] = uz * vx - ux * vz; faceNormal[f + 2] = ux * vy - uy * vx;
    }
    let vertexNormal = null;
    if (shading === "smooth") {
      vertexNormal = new Float32Array(positions.length);
      for (let corner = 0; corner < corners; corner++) {
        const v = faces[corner] * 3, f = corner - (corner % 3);
        vertexNormal[v] += faceNormal[f]; vertexNormal[v + 1] += faceNormal[f + 1]; vertexNormal[v + 2] += faceNormal[f + 2];
      }
    }
    const out = new Float32Array(corners * 3), normals = new Float32Array(corners * 3);
    const uv = uvs && faceUvs ? new Float32Array(corners * 2) : null;
    const rgb = colors ? new Float32Array(corners * 3) : null;
    for (let k = 0; k < faceCount; k++) {
      const f = order[k] * 3;
      for (let c = 0; c < 3; c++) {
        const source = f + c, target = k * 3 + c, v = faces[source] * 3;
        out[target * 3] = positions[v]; out[target * 3 + 1] = positions[v + 1]; out[target * 3 + 2] = positions[v + 2];
        const normal = vertexNormal ? vertexNormal : faceNormal, at = vertexNormal ? v : f;
        const length = Math.hypot(normal[at], normal[at + 1], normal[at + 2]) || 1;
        normals[target * 3] = normal[at] / length; normals[target * 3 + 1] = normal[at + 1] / length;
        normals[target * 3 + 2] = normal[at + 2] / length;
        if (uv) { const t = faceUvs[source] * 2; uv[target * 2] = uvs[t]; uv[target * 2 + 1] = uvs[t + 1]; }
        if (rgb) for (let j = 0; j < 3; j++) rgb[target * 3 + j] = SRGB_TO_LINEAR[colors[v + j]];
      }
    }
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(out, 3));
    geometry.setAttribute("normal", new THREE.BufferAttribute(normals, 3));
    if (uv) geometry.setAttribute("uv", new THREE.BufferAttribute(uv, 2));
    if (rgb) geometry.setAttribute("color", new THREE.BufferAttribute(rgb, 3));
    if (assignments) {
      let start = 0;
      for (let k = 1; k <= faceCount; k++)
        if (k === faceCount || assignments[order[k]] !== assignments[order[start]]) {
          geometry.addGroup(start * 3, (k - start) * 3, assignments[order[start]]);
          start = k;
        }
    }
    return geometry;
  }

  const textureCache = new Map();
  function texture(index) {
    if (!textureCache.has(index)) {
      const promise = new Promise((resolve) => {
        new THREE.TextureLoader().load(SCENE.textures[index], (map) => {
          map.colorSpace = THREE.SRGBColorSpace;
          resolve(map);
        }, undefined, () => resolve(null));
      });
      textureCache.set(index, promise);
    }
    return textureCache.get(index);
  }

  async function buildObject(item, frameIndex, options) {
    const frame = item.frames[frameIndex];
    const group = new THREE.Group();
    if (item.kind === "mesh") {
      const geometry = meshGeometry(item, frame, options.shading);
      let material;
      if (frame.materials) {  // slot 0: faces with no material (white, as our renderer draws them)
        material = [new THREE.MeshLambertMaterial({ color: 0xffffff, side: THREE.DoubleSide })];
        for (const entry of frame.materials) {
          const map = entry.texture !== undefined ? await texture(entry.texture) : null;
          const slot = new THREE.MeshLambertMaterial({ color: 0xffffff, map: map, side: THREE.DoubleSide });
          if (!map && entry.color) slot.color.setRGB(entry.color[0], entry.color[1], entry.color[2], THREE.SRGBColorSpace);
          material.push(slot);
        }
      } else {
        const map = frame.texture !== undefined ? await texture(frame.texture) : null;
        material = new THREE.MeshLambertMaterial({
          color: 0xffffff, map: map, vertexColors: !map && !!frame.colors, side: THREE.DoubleSide,
        });
        if (!map && !frame.colors) material.color.set(0xb8c4d6);
      }
      group.add(new THREE.Mesh(geometry, material));
      if (options.wireframe) {
        const wire = new THREE.MeshBasicMaterial({ color: 0x1a1a1a, wireframe: true, transparent: true, opacity: 0.35 });
        group.add(new THREE.Mesh(geometry, wire));
      }
      group.userData.stats = { vertices: frame.positions.shape[0], faces: geometry.attributes.position.count / 3 };
    } else if (item.kind === "pointcloud") {
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute("position", new THREE.BufferAttribute(cachedDecode(frame.positions), 3));
      const colors = cachedDecode(frame.colors);
      if (colors) geometry.setAttribute("color", new THREE.BufferAttribute(Float32Array.from(colors, (c) => SRGB_TO_LINEAR[c]), 3));
      const count = frame.positions.shape[0];
      const size = item.radius * Math.min(0.05, 2.5 / Math.sqrt(Math.max(count, 1)));
      const material = new THREE.PointsMaterial({ size: size, vertexColors: !!colors, color: colors ? 0xffffff : 0x3a6ea5 });
      group.add(new THREE.Points(geometry, material));
      group.userData.stats = { points: count };
    } else {
      const indices = cachedDecode(frame.indices), count = frame.indices.shape[0], size = frame.voxel_size;
      const box = new THREE.BoxGeometry(size * 0.96, size * 0.96, size * 0.96);
      const cubes = new THREE.InstancedMesh(box, new THREE.MeshLambertMaterial({ color: 0x8fb3d9 }), count);
      const matrix = new THREE.Matrix4();
      for (let i = 0; i < count; i++) {
        matrix.makeTranslation(frame.origin[0] + (indices[i * 3] + 0.5) * size, frame.origin[1] + (indices[i * 3 + 1] + 0.5) * size,
          frame.origin[2] + (indices[i * 3 + 2] + 0.5) * size);
        cubes.setMatrixAt(i, matrix);
      }
      group.add(cubes);
      group.userData.stats = { voxels: count, voxel_size: Number(size.toPrecision(6)) };
    }
    return group;
  }

  // ------------------------------------------------------------------ state in the URL fragment
  const state = {
    item: 0, frame: 0, compare: "none", compareFrame: 0, wireframe: false, shading: "smooth",
    azimuth: (SCENE.camera && SCENE.camera.azimuth) ?? 45, elevation: 20, distance: 3.2, category: null, page: 0, shape: null,
  };

  function itemKey(item) { return [item.category, item.kind, item.id, item.role]; }

  function findItem(params) {
    const category = params.get("category"), kind = params.get("kind"), id = params.get("id");
    const role = params.get("role");
    return SCENE.items.findIndex((item) => (category === null || item.category === category) &&
      (kind === null || item.kind === kind) && (id === null || String(item.id) === id) &&
      (role === null || item.role === role));
  }

  function nearestFrame(item, iteration) {
    let best = 0;
    item.iterations.forEach((value, index) => {
      if (Math.abs(value - iteration) < Math.abs(item.iterations[best] - iteration)) best = index;
    });
    return best;
  }

  function readFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const number = (key, fallback) => (params.has(key) && isFinite(parseFloat(params.get(key))) ? parseFloat(params.get(key)) : fallback);
    if (MODE === "dataset") {
      state.category = params.get("dataset_category") || state.category;
      state.page = Math.max(0, Math.floor(number("page", state.page)));
      state.shape = params.has("shape") ? Math.floor(number("shape", 0)) : state.shape;
    }
    if (params.has("category") || params.has("kind") || params.has("id")) {
      const found = findItem(params);
      if (found >= 0) state.item = found;
    }
    const item = SCENE.items[state.item];
    if (item) {
      state.frame = params.has("iteration") ? nearestFrame(item, number("iteration", 0)) : item.frames.length - 1;
      state.compareFrame = params.has("compare_iteration") ? nearestFrame(item, number("compare_iteration", 0)) : 0;
    }
    state.compare = ["none", "iteration", "target"].includes(params.get("compare")) ? params.get("compare") : state.compare;
    state.wireframe = params.get("wireframe") === "1" ? true : params.get("wireframe") === "0" ? false : state.wireframe;
    state.shading = params.get("shading") === "flat" ? "flat" : params.get("shading") === "smooth" ? "smooth" : state.shading;
    state.azimuth = number("azimuth", state.azimuth);
    state.elevation = Math.max(-89.9, Math.min(89.9, number("elevation", state.elevation)));
    state.distance = Math.max(1e-3, number("distance", state.distance));
  }

  let fragmentTimer = null;
  function writeFragment() {
    clearTimeout(fragmentTimer);
    fragmentTimer = setTimeout(() => {
      const params = new URLSearchParams();
      const item = SCENE.items[state.item];
      if (MODE === "dataset") {
        if (state.category !== null) params.set("dataset_category", state.category);
        params.set("page", state.page);
        if (state.shape !== null) params.set("shape", state.shape);
      }
      if (item) {
        const [category, kind, id, role] = itemKey(item);
        params.set("category", category); params.set("kind", kind); params.set("id", id);
        if (role !== "prediction") params.set("role", role);
        params.set("iteration", item.iterations[state.frame]);
        if (state.compare !== "none") params.set("compare", state.compare);
        if (state.compare === "iteration") params.set("compare_iteration", item.iterations[state.compareFrame]);
      }
      if (state.wireframe) params.set("wireframe", "1");
      if (state.shading !== "smooth") params.set("shading", state.shading);
      params.set("azimuth", state.azimuth.toFixed(1)); params.set("elevation", state.elevation.toFixed(1));
      params.set("distance", state.distance.toFixed(3));
      const hash = "#" + params.toString();
      if (hash !== location.hash) {
        try { history.replaceState(null, "", hash); } catch (error) { /* about:srcdoc cannot change its URL */ }
      }
    }, 150);
  }

  // ------------------------------------------------------------------ 3D view
  const canvas = $("kp-canvas");
  let renderer = null; // stays null without WebGL: curves, metrics and the dataset grid still work
  try {
    renderer = new THREE.WebGLRenderer({ canvas: canvas, antialias: true, preserveDrawingBuffer: true });
    renderer.setPixelRatio(window.devicePixelRatio || 1);
    renderer.setClearColor(BACKGROUND);
  } catch (error) {
    $("kp-message").hidden = false;
    $("kp-message").textContent = `This browser cannot draw WebGL, so the 3D view is off (${error.message}).`;
  }
  const camera = new THREE.PerspectiveCamera(40, 1, 0.01, 1000);
  const controls = new THREE.OrbitControls(camera, canvas);
  controls.enableDamping = false;
  const views = [makeView(), makeView()];
  let applyingCamera = false;

  function makeView() {
    const scene = new THREE.Scene();
    scene.add(new THREE.HemisphereLight(0xffffff, 0x666666, 1.6));
    const light = new THREE.DirectionalLight(0xffffff, 1.6);
    scene.add(light);
    return { scene: scene, light: light, object: null };
  }

  function currentItem() { return SCENE.items[state.item]; }
  function targetItem() { return SCENE.items.find((item) => item.role === "target"); }
  function sideBySide() {
    return state.compare === "iteration" || (state.compare === "target" && !!targetItem());
  }

  function placeCamera() {
    const item = currentItem();
    if (!item) return;
    const az = THREE.MathUtils.degToRad(state.azimuth), el = THREE.MathUtils.degToRad(state.elevation);
    const r = item.radius * state.distance;
    const center = new THREE.Vector3().fromArray(item.center);
    applyingCamera = true;
    camera.near = item.radius * 0.01; camera.far = item.radius * (state.distance + 10) * 10;
    camera.updateProjectionMatrix();
    camera.position.set(center.x + r * Math.cos(el) * Math.sin(az), center.y + r * Math.sin(el), center.z + r * Math.cos(el) * Math.cos(az));
    controls.target.copy(center);
    controls.update();
    applyingCamera = false;
  }

  controls.addEventListener("change", () => {
    if (applyingCamera) return;
    const item = currentItem();
    const offset = camera.position.clone().sub(controls.target);
    const length = offset.length();
    state.distance = length / item.radius;
    state.elevation = THREE.MathUtils.radToDeg(Math.asin(Math.max(-1, Math.min(1, offset.y / length))));
    state.azimuth = THREE.MathUtils.radToDeg(Math.atan2(offset.x, offset.z));
    draw();
    writeFragment();
  });

  function draw() {
    if (!renderer) return;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (canvas.width !== Math.floor(width * renderer.getPixelRatio()) || canvas.height !== Math.floor(height * renderer.getPixelRatio()))
      renderer.setSize(width, height, false);
    const split = sideBySide();
    const panes = split ? 2 : 1, paneWidth = Math.floor(width / panes);
    camera.aspect = paneWidth / Math.max(height, 1);
    camera.updateProjectionMatrix();
    renderer.setScissorTest(true);
    renderer.setViewport(0, 0, width, height); renderer.setScissor(0, 0, width, height);
    renderer.clear();
    // key light above and to the left of the viewer, so cube and facet sides differ in brightness
    camera.updateMatrixWorld();
    const reach = camera.position.distanceTo(controls.target);
    const keyLight = camera.position.clone()
      .add(new THREE.Vector3().setFromMatrixColumn(camera.matrixWorld, 1).multiplyScalar(0.8 * reach))
      .add(new THREE.Vector3().setFromMatrixColumn(camera.matrixWorld, 0).multiplyScalar(-0.5 * reach));
    for (let pane = 0; pane < panes; pane++) {
      const view = views[pane];
      view.light.position.copy(keyLight);
      renderer.setViewport(pane * paneWidth, 0, paneWidth, height);
      renderer.setScissor(pane * paneWidth, 0, paneWidth, height);
      renderer.render(view.scene, camera);
    }
    renderer.setScissorTest(false);
  }

  function setObject(view, object) {
    if (view.object) {
      view.scene.remove(view.object);
      view.object.traverse((node) => {
        if (node.geometry) node.geometry.dispose();
        if (node.material) [].concat(node.material).forEach((material) => material.dispose());
      });
    }
    view.object = object;
    if (object) view.scene.add(object);
  }

  let buildCounter = 0;
  async function rebuild() {
    const item = currentItem();
    if (!item) return;
    const counter = ++buildCounter;
    const options = { shading: state.shading, wireframe: state.wireframe };
    const left = await buildObject(item, state.frame, options);
    let right = null;
    if (state.compare === "iteration") right = await buildObject(item, state.compareFrame, options);
    else if (state.compare === "target" && targetItem()) {
      const target = targetItem();
      right = await buildObject(target, nearestFrame(target, item.iterations[state.frame]), options);
    }
    if (counter !== buildCounter) return; // a newer request replaced this one
    setObject(views[0], left);
    setObject(views[1], right);
    updateLabels(left, right);
    draw();
    writeFragment();
  }

  // ------------------------------------------------------------------ controls and labels
  function itemLabel(item) {
    const base = `${item.category || "(no category)"} / ${item.kind}_${item.id}`;
    return item.role === "prediction" ? base : `${base} (${item.role})`;
  }

  function fillItems() {
    const select = $("kp-item");
    select.textContent = "";
    const groups = new Map();
    SCENE.items.forEach((item, index) => {
      if (MODE === "dataset") return;
      const name = item.category || "(no category)";
      if (!groups.has(name)) {
        const group = document.createElement("optgroup");
        group.label = name;
        groups.set(name, group);
        select.appendChild(group);
      }
      const option = new Option(itemLabel(item), index);
      groups.get(name).appendChild(option);
    });
    select.value = state.item;
    const targetOption = $("kp-compare").querySelector("option[value=target]");
    targetOption.disabled = !targetItem();
  }

  function formatStats(stats) {
    return Object.entries(stats).map(([key, value]) => `${key}: ${Array.isArray(value) ? "[" + value.join(", ") + "]" : value}`).join(" · ");
  }

  function updateLabels(left, right) {
    const item = currentItem();
    const iteration = item.iterations[state.frame];
    $("kp-iteration").max = item.frames.length - 1; $("kp-iteration").value = state.frame;
    $("kp-iteration").disabled = item.frames.length < 2; $("kp-play").disabled = item.frames.length < 2;
    $("kp-iteration-label").textContent = `iteration ${iteration} (${state.frame + 1}/${item.frames.length})`;
    $("kp-compare-scrubber").hidden = state.compare !== "iteration";
    $("kp-compare-iteration").max = item.frames.length - 1; $("kp-compare-iteration").value = state.compareFrame;
    $("kp-compare-label").textContent = `iteration ${item.iterations[state.compareFrame]}`;
    $("kp-item").value = state.item; $("kp-compare").value = state.compare;
    $("kp-wireframe").checked = state.wireframe; $("kp-shading").value = state.shading;
    $("kp-caption-left").textContent = sideBySide() ? `${itemLabel(item)} @ ${iteration}` : "";
    let rightText = "";
    if (state.compare === "iteration") rightText = `${itemLabel(item)} @ ${item.iterations[state.compareFrame]}`;
    else if (state.compare === "target" && targetItem()) rightText = itemLabel(targetItem());
    $("kp-caption-right").textContent = rightText;
    const stats = Object.assign({}, item.stats || {}, left ? left.userData.stats : {});
    const path = item.path ? `${item.path} · ` : "";
    $("kp-info").textContent = `${path}${formatStats(stats)}`;
    updateCurveMarkers(iteration);
  }

  function setFrame(frame) {
    state.frame = Math.max(0, Math.min(currentItem().frames.length - 1, frame));
    rebuild();
  }

  let playing = null;
  function togglePlay() {
    if (playing) {
      clearInterval(playing); playing = null;
      $("kp-play").innerHTML = "&#9654; play";
      return;
    }
    $("kp-play").innerHTML = "&#10074;&#10074; pause";
    playing = setInterval(() => setFrame((state.frame + 1) % currentItem().frames.length), 120);
  }

  function wireControls() {
    $("kp-item").addEventListener("change", (event) => {
      const iteration = currentItem().iterations[state.frame];
      state.item = parseInt(event.target.value, 10);
      state.frame = nearestFrame(currentItem(), iteration);
      state.compareFrame = Math.min(state.compareFrame, currentItem().frames.length - 1);
      placeCamera(); rebuild(); drawCurves();
    });
    $("kp-compare").addEventListener("change", (event) => { state.compare = event.target.value; rebuild(); });
    $("kp-wireframe").addEventListener("change", (event) => { state.wireframe = event.target.checked; rebuild(); });
    $("kp-shading").addEventListener("change", (event) => { state.shading = event.target.value; rebuild(); });
    $("kp-iteration").addEventListener("input", (event) => setFrame(parseInt(event.target.value, 10)));
    $("kp-compare-iteration").addEventListener("input", (event) => { state.compareFrame = parseInt(event.target.value, 10); rebuild(); });
    $("kp-play").addEventListener("click", togglePlay);
    window.addEventListener("resize", draw);
    window.addEventListener("hashchange", () => { readFragment(); placeCamera(); rebuild(); });
  }

  // ------------------------------------------------------------------ loss curves (SVG)
  const SVG = "http://www.w3.org/2000/svg";
  const curveMarkers = [];

  function svgElement(name, attributes) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    return element;
  }

  function drawCurves() {
    const container = $("kp-curves");
    container.textContent = "";
    curveMarkers.length = 0;
    const curves = SCENE.curves;
    if (!curves) return;
    const steps = curves.steps, width = 320, height = 150, pad = 34;
    const minStep = Math.min(...steps), maxStep = Math.max(...steps);
    const xOf = (step) => pad + (maxStep > minStep ? (step - minStep) / (maxStep - minStep) : 0.5) * (width - pad - 8);
    for (const [name, values] of Object.entries(curves.columns)) {
      const finite = values.map((v, i) => [steps[i], v]).filter(([, v]) => v !== null && isFinite(v));
      if (!finite.length) continue;
      const ys = finite.map(([, v]) => v);
      const low = Math.min(...ys), high = Math.max(...ys);
      const log = low > 0 && high / low > 100;
      const scale = (v) => (log ? Math.log10(v) : v);
      const a = scale(low), b = scale(high);
      const yOf = (v) => height - 20 - (b > a ? (scale(v) - a) / (b - a) : 0.5) * (height - 30);
      const figure = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = `${name}${log ? " (log scale)" : ""}: ${ys[ys.length - 1].toPrecision(4)} at step ${finite[finite.length - 1][0]}`;
      const svg = svgElement("svg", { width: width, height: height, viewBox: `0 0 ${width} ${height}`, "data-curve": name });
      svg.appendChild(svgElement("polyline", {
        points: finite.map(([s, v]) => `${xOf(s).toFixed(1)},${yOf(v).toFixed(1)}`).join(" "),
        fill: "none", stroke: "#2a6fdb", "stroke-width": 1.4,
      }));
      if (finite.length <= 60) {  // few logged points: mark each one (a single point draws no line)
        for (const [s, v] of finite) svg.appendChild(svgElement("circle", { cx: xOf(s).toFixed(1), cy: yOf(v).toFixed(1), r: 2, fill: "#2a6fdb" }));
      }
      for (const [text, y] of [[high.toPrecision(3), 14], [low.toPrecision(3), height - 20]]) {
        const label = svgElement("text", { x: 2, y: y, "font-size": 9, fill: "#666" });
        label.textContent = text;
        svg.appendChild(label);
      }
      for (const [text, x, anchor] of [[minStep, pad, "start"], [maxStep, width - 8, "end"]]) {
        const label = svgElement("text", { x: x, y: height - 5, "font-size": 9, fill: "#666", "text-anchor": anchor });
        label.textContent = text;
        svg.appendChild(label);
      }
      const marker = svgElement("line", { y1: 4, y2: height - 18, stroke: "#d33", "stroke-width": 1.2 });
      svg.appendChild(marker);
      curveMarkers.push({ marker: marker, xOf: xOf });
      svg.addEventListener("click", (event) => {
        const box = svg.getBoundingClientRect();
        const x = (event.clientX - box.left) * (width / box.width);
        const step = minStep + ((x - pad) / (width - pad - 8)) * (maxStep - minStep);
        setFrame(nearestFrame(currentItem(), step));
      });
      figure.appendChild(caption); figure.appendChild(svg);
      container.appendChild(figure);
    }
    if (currentItem()) updateCurveMarkers(currentItem().iterations[state.frame]);
  }

  function updateCurveMarkers(iteration) {
    for (const { marker, xOf } of curveMarkers) {
      const x = xOf(iteration).toFixed(1);
      marker.setAttribute("x1", x); marker.setAttribute("x2", x);
    }
  }

  // ------------------------------------------------------------------ dataset grid
  const PAGE_SIZE = 48;
  const DATASET = SCENE.dataset;

  function datasetCategories() { return DATASET.categories.map((category) => category.name); }
  function categoryShapes() {
    const category = DATASET.categories.find((entry) => entry.name === state.category) || DATASET.categories[0];
    return category ? category.shapes : [];
  }

  function drawGrid() {
    const shapes = categoryShapes();
    const pages = Math.max(1, Math.ceil(shapes.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    $("kp-page-label").textContent = `page ${state.page + 1} / ${pages} (${shapes.length} shapes)`;
    $("kp-prev").disabled = state.page === 0; $("kp-next").disabled = state.page >= pages - 1;
    const grid = $("kp-grid");
    grid.textContent = "";
    for (const index of shapes.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE)) {
      const shape = DATASET.shapes[index];
      const figure = document.createElement("figure");
      figure.dataset.shape = index;
      if (index === state.shape) figure.className = "selected";
      const image = document.createElement("img");
      image.alt = shape.name; image.title = shape.path;
      if (shape.thumbnail !== null) image.src = DATASET.thumbnails[shape.thumbnail];
      const caption = document.createElement("figcaption");
      caption.textContent = shape.name;
      figure.appendChild(image); figure.appendChild(caption);
      figure.addEventListener("click", () => openShape(index));
      grid.appendChild(figure);
    }
  }

  async function openShape(index) {
    state.shape = index;
    const shape = DATASET.shapes[index];
    drawGrid();
    if (shape.item === undefined) {  // first opening: parse its block, or ask the server that sent the page
      let part = null;
      if (shape.inline) part = JSON.parse(document.getElementById(`kp-shape-${index}`).textContent);
      else if (location.protocol.startsWith("http")) part = await (await fetch(`shape/${index}`)).json();
      if (part) {
        const offset = SCENE.textures.length;
        SCENE.textures.push(...part.textures);
        for (const frame of part.item.frames) {
          if (frame.texture !== undefined) frame.texture += offset;
          for (const entry of frame.materials || []) if (entry.texture !== undefined) entry.texture += offset;
        }
        shape.item = SCENE.items.push(part.item) - 1;
      }
    }
    if (shape.item === undefined) {
      $("kp-message").hidden = false;
      $("kp-message").textContent = `${shape.path}: this page holds no 3D data for this shape (the dataset is larger than the inline budget); ` +
        "open it with `kaolin-pipeline view ROOT --serve` to load every shape on demand.";
      return;
    }
    if (renderer) $("kp-message").hidden = true;
    $("kp-viewer").hidden = false;
    state.item = shape.item; state.frame = 0;
    placeCamera();
    await rebuild();
  }

  function wireDataset() {
    $("kp-dataset").hidden = false;
    const select = $("kp-dataset-category");
    for (const name of datasetCategories()) select.appendChild(new Option(name, name));
    if (!datasetCategories().includes(state.category)) state.category = datasetCategories()[0] || null;
    select.value = state.category;
    select.addEventListener("change", () => { state.category = select.value; state.page = 0; drawGrid(); writeFragment(); });
    $("kp-prev").addEventListener("click", () => { state.page -= 1; drawGrid(); writeFragment(); });
    $("kp-next").addEventListener("click", () => { state.page += 1; drawGrid(); writeFragment(); });
    for (const id of ["kp-compare", "kp-item", "kp-scrubbers"]) $(id).closest("label, div").hidden = true;
  }

  // ------------------------------------------------------------------ start
  async function start() {
    readFragment();
    wireControls();
    if (MODE === "dataset") {
      wireDataset();
      drawGrid();
      if (state.shape !== null && DATASET.shapes[state.shape]) await openShape(state.shape);
      else $("kp-viewer").hidden = true;
      return;
    }
    if (!SCENE.items.length) {
      $("kp-message").hidden = false;
      $("kp-message").textContent = "Nothing to show in 3D.";
      $("kp-stage").hidden = true;
      drawCurves();
      return;
    }
    fillItems();
    placeCamera();
    drawCurves();
    await rebuild();
  }

  const ready = start().then(() => {
    window.kpViewer.readyTime = performance.now();
    return true;
  });
  window.kpViewer = {
    ready: ready,
    state: () => JSON.parse(JSON.stringify(state)),
    decodeArray: decodeArray,
    positions: (itemIndex, frameIndex) => Array.from(cachedDecode(SCENE.items[itemIndex].frames[frameIndex].positions)),
    settled: async () => { await ready; await rebuild(); return true; },
  };
})();
