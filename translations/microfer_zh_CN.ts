<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Expression</name>
    <message>
        <source>angry</source>
        <translation>愤怒</translation>
    </message>
    <message>
        <source>disgust</source>
        <translation>厌恶</translation>
    </message>
    <message>
        <source>fear</source>
        <translation>恐惧</translation>
    </message>
    <message>
        <source>happy</source>
        <translation>高兴</translation>
    </message>
    <message>
        <source>sad</source>
        <translation>悲伤</translation>
    </message>
    <message>
        <source>surprise</source>
        <translation>惊讶</translation>
    </message>
    <message>
        <source>neutral</source>
        <translation>中性</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Recent &amp;Files</source>
        <translation>最近的文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Playback</source>
        <translation>播放(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>&amp;Open Image…</source>
        <translation>打开图像(&amp;O)…</translation>
    </message>
    <message>
        <source>Label the faces in one image</source>
        <translation>标注一张图像中的人脸</translation>
    </message>
    <message>
        <source>&amp;Batch-label Folder…</source>
        <translation>批量标注文件夹(&amp;B)…</translation>
    </message>
    <message>
        <source>Label every image in a folder</source>
        <translation>标注文件夹中的每一张图像</translation>
    </message>
    <message>
        <source>Open &amp;Video…</source>
        <translation>打开视频(&amp;V)…</translation>
    </message>
    <message>
        <source>Label a video file frame by frame</source>
        <translation>逐帧标注视频文件</translation>
    </message>
    <message>
        <source>Open &amp;Stream…</source>
        <translation>打开视频流(&amp;S)…</translation>
    </message>
    <message>
        <source>Label a live network stream (IP camera URL) or GStreamer pipeline</source>
        <translation>标注实时网络视频流（IP 摄像头 URL）或 GStreamer 管道</translation>
    </message>
    <message>
        <source>Start &amp;Camera</source>
        <translation>启动摄像头(&amp;C)</translation>
    </message>
    <message>
        <source>Start or stop the live camera</source>
        <translation>启动或停止实时摄像头</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <source>Pause or resume the video or camera</source>
        <translation>暂停或继续播放视频或摄像头画面</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <source>Stop the video or camera</source>
        <translation>停止视频或摄像头</translation>
    </message>
    <message>
        <source>Save &amp;Snapshot</source>
        <translation>保存快照(&amp;S)</translation>
    </message>
    <message>
        <source>Save the current labelled frame</source>
        <translation>保存当前已标注的画面</translation>
    </message>
    <message>
        <source>&amp;Record Camera</source>
        <translation>录制摄像头(&amp;R)</translation>
    </message>
    <message>
        <source>Write the labelled camera view to a video in the results folder (off at start)</source>
        <translation>将已标注的摄像头画面录制为视频，保存在结果文件夹中（启动时关闭）</translation>
    </message>
    <message>
        <source>Open &amp;Results Folder</source>
        <translation>打开结果文件夹(&amp;R)</translation>
    </message>
    <message>
        <source>Show the results folder</source>
        <translation>显示结果文件夹</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Show &amp;Attention</source>
        <translation>显示注意力图(&amp;A)</translation>
    </message>
    <message>
        <source>Blend the network&apos;s attention map over each face</source>
        <translation>在每张人脸上叠加网络的注意力图</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>Detector, TTA, results folder, camera</source>
        <translation>检测器、TTA、结果文件夹、摄像头</translation>
    </message>
    <message>
        <source>&amp;About MicroFER</source>
        <translation>关于 MicroFER(&amp;A)</translation>
    </message>
    <message>
        <source>Revie&amp;w Results…</source>
        <translation>审阅结果(&amp;W)…</translation>
    </message>
    <message>
        <source>Review every face of a results folder, correct labels and export them</source>
        <translation>审阅结果文件夹中的每张人脸，更正标签并导出</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>MicroFER Settings</source>
        <translation>MicroFER 设置</translation>
    </message>
    <message>
        <source>Pipeline</source>
        <translation>处理流程</translation>
    </message>
    <message>
        <source>M&amp;odel:</source>
        <translation>模型(&amp;O)：</translation>
    </message>
    <message>
        <source>Another model file (*.mfm)</source>
        <translation>其他模型文件 (*.mfm)</translation>
    </message>
    <message>
        <source>Choose a model file</source>
        <translation>选择模型文件</translation>
    </message>
    <message>
        <source>&amp;Detector:</source>
        <translation>检测器(&amp;D)：</translation>
    </message>
    <message>
        <source>&amp;Test-time augmentation:</source>
        <translation>测试时增强(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Minimum face size:</source>
        <translation>最小人脸尺寸(&amp;M)：</translation>
    </message>
    <message>
        <source> px</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>Results</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>&amp;Results folder:</source>
        <translation>结果文件夹(&amp;R)：</translation>
    </message>
    <message>
        <source>Choose the results folder</source>
        <translation>选择结果文件夹</translation>
    </message>
    <message>
        <source>Save a labelled copy and the results of each opened &amp;image (batches always do)</source>
        <translation>为每张打开的图像保存已标注的副本和结果(&amp;I)（批量标注总会保存）</translation>
    </message>
    <message>
        <source>Camera and video</source>
        <translation>摄像头和视频</translation>
    </message>
    <message>
        <source>&amp;Camera index:</source>
        <translation>摄像头编号(&amp;C)：</translation>
    </message>
    <message>
        <source>Save a labelled &amp;video of video files (the camera: Playback → Record Camera)</source>
        <translation>为视频文件保存已标注的视频(&amp;V)（摄像头：播放 → 录制摄像头）</translation>
    </message>
    <message>
        <source>Save every labelled &amp;frame as an image</source>
        <translation>将每一帧已标注的画面保存为图像(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Track faces and smooth labels across frames</source>
        <translation>跟踪人脸并在帧间平滑标签(&amp;T)</translation>
    </message>
</context>
<context>
    <name>microfer::gui::FaceEntry</name>
    <message>
        <source>Face %1 (track %2)</source>
        <translation>人脸 %1（轨迹 %2）</translation>
    </message>
    <message>
        <source>Face %1</source>
        <translation>人脸 %1</translation>
    </message>
    <message>
        <source>label 1 frame old</source>
        <translation>标签来自 1 帧之前</translation>
    </message>
    <message>
        <source>label %1 frames old</source>
        <translation>标签来自 %1 帧之前</translation>
    </message>
    <message>
        <source>uncertain: %1 or %2</source>
        <translation>不确定：%1 或 %2</translation>
    </message>
    <message>
        <source>%1; %2</source>
        <comment>a face&apos;s verdict; the age of its label</comment>
        <translation>%1；%2</translation>
    </message>
</context>
<context>
    <name>microfer::gui::FacePanel</name>
    <message>
        <source>No faces</source>
        <translation>未发现人脸</translation>
    </message>
    <message>
        <source>Faces</source>
        <translation>人脸</translation>
    </message>
    <message numerus="yes">
        <source>%n face(s): label, confidence and the probability of each expression</source>
        <translation>
            <numerusform>%n 张人脸：标签、置信度和每种表情的概率</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>microfer::gui::ImageView</name>
    <message>
        <source>Image</source>
        <translation>图像</translation>
    </message>
</context>
<context>
    <name>microfer::gui::MainWindow</name>
    <message>
        <source>Drop an image, a folder or a video here

or use File &gt; Open Image… (Ctrl+O)</source>
        <translation>将图像、文件夹或视频拖放到这里

或使用 文件 &gt; 打开图像…（Ctrl+O）</translation>
    </message>
    <message>
        <source>Menu bar</source>
        <translation>菜单栏</translation>
    </message>
    <message>
        <source>Main tool bar</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>The live view lowers TTA, whole-frame detection, the smallest face and how often each face is classified in steps to keep the source&apos;s frame rate, and raises them again when time allows</source>
        <translation>实时画面会逐级降低 TTA、整帧检测、最小人脸尺寸和每张人脸的分类频率，以跟上视频源的帧率；时间充裕时再逐级提高</translation>
    </message>
    <message>
        <source>Snapshot saved to %1</source>
        <translation>快照已保存到 %1</translation>
    </message>
    <message>
        <source>Open Image</source>
        <translation>打开图像</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)</source>
        <translation>图像 (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Batch-label Folder</source>
        <translation>批量标注文件夹</translation>
    </message>
    <message>
        <source>Open Video</source>
        <translation>打开视频</translation>
    </message>
    <message>
        <source>Videos (*.mp4 *.avi *.mkv *.mov *.webm *.mpg);;All files (*)</source>
        <translation>视频 (*.mp4 *.avi *.mkv *.mov *.webm *.mpg);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Open Stream</source>
        <translation>打开视频流</translation>
    </message>
    <message>
        <source>Stream URL (rtsp://, http://, …) or GStreamer pipeline:</source>
        <translation>视频流 URL（rtsp://、http:// 等）或 GStreamer 管道：</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a stream: give a URL such as rtsp://camera/live or http://host/video.mjpg, or a GStreamer pipeline (elements joined by &apos; ! &apos;). Use Open Video for a file.</source>
        <translation>“%1”不是视频流：请输入 rtsp://camera/live 或 http://host/video.mjpg 这样的 URL，或 GStreamer 管道（各元素以“ ! ”连接）。打开文件请用“打开视频”。</translation>
    </message>
    <message>
        <source>Source: %1</source>
        <translation>来源：%1</translation>
    </message>
    <message>
        <source>Labelling %1…</source>
        <translation>正在标注 %1…</translation>
    </message>
    <message>
        <source>Looking for images…</source>
        <translation>正在查找图像…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Batch-labelling</source>
        <translation>批量标注</translation>
    </message>
    <message>
        <source>Cancelling after the current image…</source>
        <translation>将在当前图像完成后取消…</translation>
    </message>
    <message>
        <source>Opening %1…</source>
        <translation>正在打开 %1…</translation>
    </message>
    <message>
        <source>Opening camera %1…</source>
        <translation>正在打开摄像头 %1…</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Playing</source>
        <translation>正在播放</translation>
    </message>
    <message>
        <source>Recording the camera to the results folder</source>
        <translation>正在将摄像头画面录制到结果文件夹</translation>
    </message>
    <message>
        <source>Not recording the camera</source>
        <translation>未录制摄像头画面</translation>
    </message>
    <message>
        <source>Results folder: %1</source>
        <translation>结果文件夹：%1</translation>
    </message>
    <message>
        <source>About MicroFER</source>
        <translation>关于 MicroFER</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
    <message>
        <source>not the default model: its figures are in its stored notes (&lt;tt&gt;microfer-cli info --model FILE&lt;/tt&gt;) and in the model card</source>
        <translation>不是默认模型：其指标见模型文件中存储的说明（&lt;tt&gt;microfer-cli info --model FILE&lt;/tt&gt;）和模型卡</translation>
    </message>
    <message>
        <source>&lt;h3&gt;MicroFER %1&lt;/h3&gt;&lt;p&gt;Facial-expression recognition with a micro-attention network.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Model:&lt;/b&gt; %2&lt;br&gt;&lt;b&gt;File:&lt;/b&gt; %3&lt;/p&gt;%4&lt;p&gt;Qt %5&lt;/p&gt;&lt;p&gt;&lt;b&gt;Licences of what ships:&lt;/b&gt; MicroFER and its trained models: MIT; YuNet model (Wu, Peng, Yu 2023): Apache-2.0; MTCNN weights (Zhang et al. 2016): MIT; Qt: LGPL-3.0; OpenCV: Apache-2.0; LibTorch: BSD-3-Clause; spdlog: MIT; nlohmann/json: MIT. Their texts: LICENSE, models/yunet/LICENSE and models/mtcnn/LICENSE in MicroFER, /usr/share/doc/&amp;lt;package&amp;gt;/copyright for each library.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;MicroFER %1&lt;/h3&gt;&lt;p&gt;基于微注意力网络的面部表情识别。&lt;/p&gt;&lt;p&gt;&lt;b&gt;模型：&lt;/b&gt;%2&lt;br&gt;&lt;b&gt;文件：&lt;/b&gt;%3&lt;/p&gt;%4&lt;p&gt;Qt %5&lt;/p&gt;&lt;p&gt;&lt;b&gt;随附组件的许可证：&lt;/b&gt;MicroFER 及其训练好的模型：MIT；YuNet 模型（Wu、Peng、Yu，2023）：Apache-2.0；MTCNN 权重（Zhang 等，2016）：MIT；Qt：LGPL-3.0；OpenCV：Apache-2.0；LibTorch：BSD-3-Clause；spdlog：MIT；nlohmann/json：MIT。许可证全文：MicroFER 中的 LICENSE、models/yunet/LICENSE 和 models/mtcnn/LICENSE，各库的见 /usr/share/doc/&amp;lt;软件包&amp;gt;/copyright。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>none installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Model card:&lt;/b&gt;&lt;br&gt;%1&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;模型卡：&lt;/b&gt;&lt;br&gt;%1&lt;/p&gt;</translation>
    </message>
    <message numerus="yes">
        <source>%1, labelled: %n face(s) found</source>
        <translation>
            <numerusform>%1，已标注：发现 %n 张人脸</numerusform>
        </translation>
    </message>
    <message>
        <source>Faces: %1</source>
        <translation>人脸：%1</translation>
    </message>
    <message>
        <source>%1 ms/frame</source>
        <translation>%1 毫秒/帧</translation>
    </message>
    <message>
        <source>— FPS</source>
        <translation>— FPS</translation>
    </message>
    <message numerus="yes">
        <source>%n face(s); labelled image written to %1</source>
        <translation>
            <numerusform>%n 张人脸；已标注的图像已写入 %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n face(s)</source>
        <translation>
            <numerusform>%n 张人脸</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 FPS</source>
        <translation>%1 FPS</translation>
    </message>
    <message>
        <source>TTA: %1</source>
        <translation>TTA：%1</translation>
    </message>
    <message>
        <source>Model %1 (%2) ready</source>
        <translation>模型 %1（%2）已就绪</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>%1 of %2 — about %3 left
%4</source>
        <translation>%1/%2 — 约剩 %3
%4</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <comment>a number of faces and their expression: 3 happy</comment>
        <translation>%2 %1</translation>
    </message>
    <message>
        <source>%1%2 of %3 images labelled, %4 faces found in %5.</source>
        <translation>%1已标注 %3 张图像中的 %2 张，发现 %4 张人脸，用时 %5。</translation>
    </message>
    <message>
        <source>Cancelled: </source>
        <translation>已取消：</translation>
    </message>
    <message numerus="yes">
        <source>
%n image(s) failed.</source>
        <translation>
            <numerusform>
%n 张图像处理失败。</numerusform>
        </translation>
    </message>
    <message>
        <source>
Results: %1</source>
        <translation>
结果：%1</translation>
    </message>
    <message>
        <source>failed: %1: %2</source>
        <translation>失败：%1：%2</translation>
    </message>
    <message>
        <source>skipped: %1: %2</source>
        <translation>已跳过：%1：%2</translation>
    </message>
    <message>
        <source>Batch finished</source>
        <translation>批量标注完成</translation>
    </message>
    <message>
        <source>Labelling %1; results in %2</source>
        <translation>正在标注 %1；结果保存在 %2</translation>
    </message>
    <message>
        <source>
%1 frames were labelled; everything written so far is kept in %2</source>
        <translation>
已标注 %1 帧；已写入的内容都保留在 %2</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>%1: %2 frames labelled; results in %3</source>
        <translation>%1：已标注 %2 帧；结果保存在 %3</translation>
    </message>
    <message>
        <source>Cannot load the pipeline</source>
        <translation>无法加载处理流程</translation>
    </message>
    <message>
        <source>Cannot label</source>
        <translation>无法标注</translation>
    </message>
    <message>
        <source>Clear Recent Files</source>
        <translation>清除最近的文件</translation>
    </message>
    <message>
        <source>Stop &amp;Camera</source>
        <translation>停止摄像头(&amp;C)</translation>
    </message>
    <message>
        <source>Start &amp;Camera</source>
        <translation>启动摄像头(&amp;C)</translation>
    </message>
    <message>
        <source>Detector: %1 (auto)</source>
        <translation>检测器：%1（自动）</translation>
    </message>
    <message>
        <source>Detector: auto</source>
        <translation>检测器：自动</translation>
    </message>
    <message>
        <source>Detector: %1</source>
        <translation>检测器：%1</translation>
    </message>
    <message>
        <source>Source: none</source>
        <translation>来源：无</translation>
    </message>
    <message>
        <source>Faces: 0</source>
        <translation>人脸：0</translation>
    </message>
    <message>
        <source>— ms/frame</source>
        <translation>— 毫秒/帧</translation>
    </message>
    <message>
        <source>Review Results</source>
        <translation>审阅结果</translation>
    </message>
    <message>
        <source>Reviewed labels written to %1</source>
        <translation>审阅后的标签已写入 %1</translation>
    </message>
    <message>
        <source>Review Results…</source>
        <translation>审阅结果…</translation>
    </message>
    <message>
        <source>Review results</source>
        <translation>审阅结果</translation>
    </message>
    <message>
        <source>Expression timeline</source>
        <translation>表情时间线</translation>
    </message>
    <message>
        <source>Open a video: when it has been labelled, each face&apos;s expressions over time appear here</source>
        <translation>打开一个视频：标注完成后，每张人脸的表情随时间的变化会显示在这里</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <source>Expression &amp;Timeline</source>
        <translation>表情时间线(&amp;T)</translation>
    </message>
    <message>
        <source>Show the last video&apos;s expression timeline: per face track, the probabilities of the seven expressions over time</source>
        <translation>显示上一个视频的表情时间线：每条人脸轨迹上七种表情的概率随时间的变化</translation>
    </message>
    <message>
        <source>Cannot read the timeline %1</source>
        <translation>无法读取时间线 %1</translation>
    </message>
    <message>
        <source>Expression timeline of %1, saved as %2</source>
        <translation>%1 的表情时间线，已保存为 %2</translation>
    </message>
</context>
<context>
    <name>microfer::gui::PipelineWorker</name>
    <message>
        <source>results not written: %1</source>
        <translation>结果未写入：%1</translation>
    </message>
    <message>
        <source>a video (use File &gt; Open Video)</source>
        <translation>是视频（请用 文件 &gt; 打开视频）</translation>
    </message>
    <message>
        <source>video &apos;%1&apos; has no readable frames</source>
        <translation>视频“%1”没有可读取的帧</translation>
    </message>
    <message>
        <source>Nothing to save yet: open an image, a video or the camera.</source>
        <translation>还没有可保存的内容：请先打开图像、视频或摄像头。</translation>
    </message>
</context>
<context>
    <name>microfer::gui::ProbabilityChart</name>
    <message>
        <source>Expression probabilities</source>
        <translation>表情概率</translation>
    </message>
    <message>
        <source>, </source>
        <comment>between the figures of the bars</comment>
        <translation>，</translation>
    </message>
</context>
<context>
    <name>microfer::gui::ReviewDialog</name>
    <message>
        <source>Reviewed label</source>
        <translation>审阅标签</translation>
    </message>
    <message>
        <source>not reviewed</source>
        <translation>未审阅</translation>
    </message>
    <message>
        <source>&amp;Export Reviewed CSV</source>
        <translation>导出审阅 CSV(&amp;E)</translation>
    </message>
    <message>
        <source>Review Results</source>
        <translation>审阅结果</translation>
    </message>
    <message>
        <source>Review results</source>
        <translation>审阅结果</translation>
    </message>
    <message>
        <source>All faces</source>
        <translation>全部人脸</translation>
    </message>
    <message>
        <source>Uncertain first</source>
        <translation>不确定的优先</translation>
    </message>
    <message>
        <source>Only uncertain</source>
        <translation>仅不确定的</translation>
    </message>
    <message>
        <source>Which faces to show</source>
        <translation>显示哪些人脸</translation>
    </message>
    <message>
        <source>Every label</source>
        <translation>所有标签</translation>
    </message>
    <message>
        <source>Predicted label to show</source>
        <translation>要显示的预测标签</translation>
    </message>
    <message>
        <source>&amp;Show:</source>
        <translation>显示(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Label:</source>
        <translation>标签(&amp;L)：</translation>
    </message>
    <message>
        <source>Faces to review</source>
        <translation>待审阅的人脸</translation>
    </message>
    <message>
        <source>Keys 1 to 7 or an expression&apos;s first letter set the reviewed label of the selected faces (u: surprise); 0 or Delete clears it; F2 or a double-click opens a list</source>
        <translation>按 1 到 7 或表情英文名的首字母设置所选人脸的审阅标签（u：惊讶）；0 或 Delete 清除；F2 或双击打开列表</translation>
    </message>
    <message>
        <source>Correct the selected face with a key: %1 (or the first letter; u: surprise); 0 clears; arrow keys move; F2 or a double-click opens a list.</source>
        <translation>用按键更正所选人脸：%1（或英文名首字母；u：惊讶）；0 清除；方向键移动；F2 或双击打开列表。</translation>
    </message>
    <message>
        <source>Export reviewed CSV</source>
        <translation>导出审阅 CSV</translation>
    </message>
    <message>
        <source>Write results-reviewed.csv: results.csv with a reviewed_label column</source>
        <translation>写入 results-reviewed.csv：即 results.csv 加上 reviewed_label 列</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Review Results — %1</source>
        <translation>审阅结果 — %1</translation>
    </message>
    <message>
        <source>Export Reviewed CSV</source>
        <translation>导出审阅 CSV</translation>
    </message>
    <message>
        <source>Written: %1</source>
        <translation>已写入：%1</translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n face(s) shown, %2 reviewed</source>
        <translation>
            <numerusform>显示 %1 / %n 张人脸，已审阅 %2 张</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>microfer::gui::ReviewModel</name>
    <message>
        <source>Face in %1</source>
        <translation>%1 中的人脸</translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation>不确定</translation>
    </message>
    <message>
        <source>Face</source>
        <translation>人脸</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Confidence</source>
        <translation>置信度</translation>
    </message>
    <message>
        <source>Uncertain</source>
        <translation>不确定</translation>
    </message>
    <message>
        <source>Reviewed label</source>
        <translation>审阅标签</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Frame</source>
        <translation>帧</translation>
    </message>
</context>
<context>
    <name>microfer::gui::SettingsDialog</name>
    <message>
        <source>Default (none installed)</source>
        <translation>默认（未安装）</translation>
    </message>
    <message>
        <source>Default (%1)</source>
        <translation>默认（%1）</translation>
    </message>
    <message>
        <source>Default (%1: %2)</source>
        <translation>默认（%1：%2）</translation>
    </message>
    <message>
        <source>Automatic (YuNet where installed, else MTCNN, else Haar)</source>
        <translation>自动（已安装 YuNet 时用 YuNet，否则 MTCNN，再否则 Haar）</translation>
    </message>
    <message>
        <source>YuNet (five landmarks; the fastest, finds the most faces)</source>
        <translation>YuNet（五个关键点；最快，找到的人脸最多）</translation>
    </message>
    <message>
        <source>MTCNN (five landmarks)</source>
        <translation>MTCNN（五个关键点）</translation>
    </message>
    <message>
        <source>Haar cascade (OpenCV, frontal faces)</source>
        <translation>Haar 级联（OpenCV，正脸）</translation>
    </message>
    <message>
        <source>Off (one view)</source>
        <translation>关闭（单一视图）</translation>
    </message>
    <message>
        <source>Flip (two views)</source>
        <translation>翻转（两个视图）</translation>
    </message>
    <message>
        <source>Full (flips, rotations, shifts)</source>
        <translation>完整（翻转、旋转、平移）</translation>
    </message>
    <message>
        <source>Results Folder</source>
        <translation>结果文件夹</translation>
    </message>
    <message>
        <source>Model File</source>
        <translation>模型文件</translation>
    </message>
    <message>
        <source>MicroFER models (*.mfm);;All files (*)</source>
        <translation>MicroFER 模型 (*.mfm);;所有文件 (*)</translation>
    </message>
</context>
</TS>
